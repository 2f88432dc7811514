// Helpers shared by the engine's unit tests.
#pragma once

#include <utility>

#include "engine/error.h"
#include "engine/value.h"

namespace tmd {

inline Document json(const char* text) {
    return Document::from_json(text);
}

// The code of the MongoError that `action` throws, or 0 when it throws none.
template <typename Action>
int error_code_of(Action&& action) {
    try {
        std::forward<Action>(action)();
    } catch (const MongoError& error) {
        return error.code();
    }
    return 0;
}

}  // namespace tmd
