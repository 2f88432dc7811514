// The field-level update operators ($set, $inc, $push, ...) as objects applied to one target
// field, plus the numeric arithmetic they share. Internal to update.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/value.h"

namespace tmd {

// The field an operator targets: its current value (nullptr when missing) and how to create or
// remove it (an array element is "removed" by setting it to null, as mongod does).
struct UpdateSlot {
    Value* value;
    std::function<Value*(Value)> create;  // returns the created value
    std::function<void()> remove;
    const std::string& path;  // the concrete path, for error messages
    const Document& root;     // the document being updated, for error messages
    // Set by $push when it only appended to a non-empty array (mongod's kArrayAppendUpdate,
    // logged as the new elements rather than the whole array).
    bool appended;
};

class FieldOperator {
  public:
    virtual ~FieldOperator() = default;
    virtual void apply(UpdateSlot& slot) const = 0;
    // Whether the operator creates the field (and the documents leading to it) when missing.
    virtual bool creates_path() const { return true; }
};

// Parses one operator's argument for one field (throws MongoError as mongod does).
std::unique_ptr<FieldOperator> make_field_operator(const std::string& op, const Value& arg,
                                                   const std::string& path);

}  // namespace tmd
