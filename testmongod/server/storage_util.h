// Helpers shared by testmongod's CRUD and catalog commands: argument parsing with mongod's type
// errors, reply building, and conversions between Document, StoredDoc and bson_t.
#pragma once

#include <bson/bson.h>

#include <optional>
#include <string>

#include "engine/error.h"
#include "engine/value.h"
#include "server/command.h"

namespace tmd {

Document body_of(const CommandRequest& request);
// The body without one (large) field, e.g. an insert's "documents", to avoid parsing it.
Document body_without(const CommandRequest& request, std::string_view skipped);
// The collection named by the command's first field ({find: "coll"}); InvalidNamespace (73)
// when it is not a string, as mongod replies "collection name has invalid type ...".
std::string collection_argument(const CommandRequest& request);

StoredDoc to_stored(const Document& doc);
Document to_document(const StoredDoc& doc);

void append_document(bson_t* out, const char* key, const Document& doc);
void append_value(bson_t* out, const char* key, const Value& value);

// Typed command arguments. Missing: the default. Wrong type: TypeMismatch (14) naming the field
// as mongod's IDL does ("BSON field 'find.limit' is the wrong type 'string', expected ...").
int64_t int_argument(const Document& body, const std::string& command, const char* field,
                     int64_t fallback);
bool bool_argument(const Document& body, const std::string& command, const char* field,
                   bool fallback);
std::optional<Document> document_argument(const Document& body, const std::string& command,
                                          const char* field);
std::optional<std::string> string_argument(const Document& body, const std::string& command,
                                           const char* field);
// Non-negative integer arguments (limit, skip, batchSize): 51024 when negative.
int64_t non_negative_argument(const Document& body, const std::string& command, const char* field,
                              int64_t fallback);

// Writes every byte to fd (a file of --dbpath); InternalError "cannot write <what>: ..." when
// it cannot.
void write_all(int fd, const std::string& bytes, const std::string& what);

// {_id: value} for oplog document keys.
StoredDoc document_key_of(const Value& id);

// Registers createIndexes/listIndexes/dropIndexes (index_commands.cpp); called by
// register_catalog_commands.
void register_index_commands(CommandRegistry& registry);
// The details of a CreateIndexes/DropIndexes oplog entry: {indexes: [spec]}.
StoredDoc indexes_details(const Document& spec);

// Registers aggregate (crud_commands_aggregate.cpp); called by register_crud_commands.
void register_aggregate_command(CommandRegistry& registry);

// Registers createSearchIndexes/dropSearchIndex/updateSearchIndex (search_index_commands.cpp);
// called by register_catalog_commands. check_search_stages refuses $listSearchIndexes as they do.
void register_search_index_commands(CommandRegistry& registry);
void check_search_stages(const CommandRequest& request, const Array& stages);

}  // namespace tmd
