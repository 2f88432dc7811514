// Change events: turns one oplog entry into the event document mongod's change stream transform
// produces, field for field, including updateDescription read from the entry's $v:2 delta.
#pragma once

#include <string_view>

#include "engine/value.h"
#include "server/oplog.h"
#include "server/resume_token.h"

namespace tmd {

// What the version profile and the stream's options change in an event's shape.
struct EventFormat {
    uint8_t token_version = 2;
    bool wall_time = true;                // wallTime: 6.0+
    bool truncated_arrays = true;         // updateDescription.truncatedArrays: 5.0+ ($v:2 deltas)
    bool show_expanded_events = false;    // collectionUUID, operationDescription, DDL events
    bool disambiguated_paths = false;     // updateDescription.disambiguatedPaths: 7.0 when expanded
    bool raw_update_description = false;  // rawUpdateDescription instead: 6.0+ when asked
};

// "insert", "update", ... as operationType reports it.
std::string_view operation_type(ChangeKind kind);
// Kinds a stream reports only with showExpandedEvents: create, createIndexes, dropIndexes, modify.
bool is_expanded_event(ChangeKind kind);
// Kinds about one document: insert, update, replace, delete.
bool is_document_change(ChangeKind kind);

ResumeToken event_token(const OplogEntry& entry, const EventFormat& format);

// Appends the event for an entry to an initialised bson_t, in mongod's field order: [to] _id
// operationType clusterTime [collectionUUID] [wallTime] [fullDocument] ns [documentKey]
// [operationDescription] [updateDescription]. The stream appends pre/post images after these.
void append_change_event(const OplogEntry& entry, const EventFormat& format, bson_t* event);
// The invalidate event that follows `cause` (drop, rename or dropDatabase) in a stream it ends.
void append_invalidate_event(const OplogEntry& cause, const EventFormat& format, bson_t* event);
// The same events as Documents.
Document make_change_event(const OplogEntry& entry, const EventFormat& format);
Document make_invalidate_event(const OplogEntry& cause, const EventFormat& format);

// updateDescription {updatedFields, removedFields[, truncatedArrays][, disambiguatedPaths]} of an
// update's $v:2 delta (update_delta.h); `post` is the updated document, from which the 4.4 profile
// reports a truncated array whole.
Document describe_update(const Document& delta, const Document& post, const EventFormat& format);

}  // namespace tmd
