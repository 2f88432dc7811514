// Resume tokens: the opaque {_data: "<hex>"} _id of every change event and postBatchResumeToken.
// Their hex strings compare lexicographically in event order, as mongod's KeyString tokens do.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <tuple>

#include "engine/value.h"
#include "server/oplog.h"

namespace tmd {

// mongod's token versions: 1 up to 4.4, 2 from 5.0 (ResumeTokenData::kDefaultTokenVersion).
int resume_token_version_for(const std::string& profile_version);

struct ResumeToken {
    ClusterTime time;
    uint8_t version = 2;
    // A high-water mark stands for a point between events: every event at `time` sorts after it,
    // as mongod's kHighWaterMarkToken (0) sorts before kEventToken (128).
    bool high_water_mark = false;
    uint32_t txn_op_index = 0;     // the event's position within its cluster time
    bool from_invalidate = false;  // the invalidate event that follows the event at this point

    static ResumeToken event(ClusterTime time, uint8_t version, bool from_invalidate = false);
    // The point just before every event at `time`.
    static ResumeToken high_water_mark_at(ClusterTime time, uint8_t version);

    // Upper-case hex starting "82" like mongod's tokens. Order of the strings is event order.
    std::string to_hex() const;
    // Parses to_hex() output; throws MongoError(FailedToParse) for anything else.
    static ResumeToken from_hex(const std::string& hex);
    // {_data: "<hex>"}.
    Document to_document() const;
    // Parses a resumeAfter/startAfter value: an object with a string _data field. Throws
    // MongoError as mongod does for a wrong shape (40647) or undecodable data.
    static ResumeToken from_value(const Value& value);

    // The order of to_hex(): time, version, type (high-water mark first), txnOpIndex,
    // fromInvalidate.
    friend std::strong_ordering operator<=>(const ResumeToken& a, const ResumeToken& b) {
        return a.sort_key() <=> b.sort_key();
    }
    friend bool operator==(const ResumeToken& a, const ResumeToken& b) {
        return a.sort_key() == b.sort_key();
    }

  private:
    std::tuple<uint64_t, uint8_t, bool, uint32_t, bool> sort_key() const {
        return {time.packed(), version, !high_water_mark, txn_op_index, from_invalidate};
    }
};

// The cluster time immediately before `time` (the exclusive lower bound to read `time` onwards).
ClusterTime time_before(ClusterTime time);
// The cluster time immediately after `time`.
ClusterTime time_after(ClusterTime time);

}  // namespace tmd
