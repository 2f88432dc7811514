// The failCommand, failGetMoreAfterCursorCheckout and hangWithLockDuringBatchInsert failpoints;
// see failpoint.h. Modes and data
// fields follow mongod's src/mongo/util/fail_point.cpp and
// CommandHelpers::evaluateFailCommandFailPoint.
#include "server/failpoint.h"

#include <algorithm>
#include <cstring>

#include "engine/error.h"

namespace tmd {
namespace {

constexpr int kFailPointSetFailed = 157;

int64_t number_of(const bson_iter_t& iter, const char* what) {
    if (!BSON_ITER_HOLDS_NUMBER(&iter)) {
        throw MongoError(code::TypeMismatch, std::string("'") + what + "' must be a number");
    }
    return bson_iter_as_int64(&iter);
}

std::vector<std::string> strings_of(const bson_iter_t& array_iter, const char* what) {
    if (!BSON_ITER_HOLDS_ARRAY(&array_iter)) {
        throw MongoError(code::TypeMismatch, std::string("'") + what + "' must be an array");
    }
    std::vector<std::string> out;
    bson_iter_t child;
    bson_iter_recurse(&array_iter, &child);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_UTF8(&child)) {
            throw MongoError(code::TypeMismatch, std::string("'") + what + "' must hold strings");
        }
        out.emplace_back(bson_iter_utf8(&child, nullptr));
    }
    return out;
}

}  // namespace

FailPoints::Config FailPoints::parse(const bson_t* command) {
    Config config;
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, command, "mode")) {
        if (BSON_ITER_HOLDS_UTF8(&iter)) {
            std::string mode = bson_iter_utf8(&iter, nullptr);
            if (mode == "alwaysOn") {
                config.mode = Mode::AlwaysOn;
            } else if (mode != "off") {
                throw MongoError(code::BadValue, "unknown mode: " + mode);
            }
        } else if (BSON_ITER_HOLDS_DOCUMENT(&iter)) {
            bson_iter_t child;
            bson_iter_recurse(&iter, &child);
            if (!bson_iter_next(&child)) throw MongoError(code::BadValue, "mode is empty");
            std::string key = bson_iter_key(&child);
            if (key == "times") {
                config.mode = Mode::Times;
            } else if (key == "skip") {
                config.mode = Mode::Skip;
            } else {
                throw MongoError(code::BadValue, "unsupported mode: " + key);
            }
            config.count = number_of(child, key.c_str());
            if (config.count < 0) throw MongoError(code::BadValue, key + " must be >= 0");
        } else {
            throw MongoError(code::TypeMismatch, "'mode' must be a string or an object");
        }
    } else {
        throw MongoError(code::BadValue, "missing 'mode'");
    }
    if (config.mode == Mode::Times && config.count == 0) config.mode = Mode::Off;

    bson_iter_t data;
    if (!bson_iter_init_find(&data, command, "data")) return config;
    if (!BSON_ITER_HOLDS_DOCUMENT(&data))
        throw MongoError(code::TypeMismatch, "'data' must be an object");
    bson_iter_t field;
    bson_iter_recurse(&data, &field);
    bool block = false;
    while (bson_iter_next(&field)) {
        std::string_view key = bson_iter_key(&field);
        if (key == "failCommands") {
            config.commands = strings_of(field, "failCommands");
        } else if (key == "errorCode") {
            config.action.error_code = static_cast<int>(number_of(field, "errorCode"));
        } else if (key == "errorLabels") {
            config.action.error_labels = strings_of(field, "errorLabels");
        } else if (key == "closeConnection") {
            config.action.close_connection = bson_iter_as_bool(&field);
        } else if (key == "blockConnection") {
            block = bson_iter_as_bool(&field);
        } else if (key == "blockTimeMS") {
            config.action.block_ms = number_of(field, "blockTimeMS");
        } else if (key == "writeConcernError" && BSON_ITER_HOLDS_DOCUMENT(&field)) {
            uint32_t length;
            const uint8_t* bytes;
            bson_iter_document(&field, &length, &bytes);
            config.action.write_concern_error.assign(reinterpret_cast<const char*>(bytes), length);
        } else if (key == "failBeforeCommitExceptionCode") {
            config.fail_before_commit_code =
                static_cast<int>(number_of(field, "failBeforeCommitExceptionCode"));
        } else if (key == "appName" && BSON_ITER_HOLDS_UTF8(&field)) {
            config.app_name = bson_iter_utf8(&field, nullptr);
        } else if (key == "namespace" && BSON_ITER_HOLDS_UTF8(&field)) {
            config.ns = bson_iter_utf8(&field, nullptr);
        }
    }
    // mongod: blockTimeMS is required with blockConnection and only meaningful with it.
    if (block && config.action.block_ms <= 0) {
        throw MongoError(code::BadValue, "'blockTimeMS' must be positive with blockConnection");
    }
    if (!block) config.action.block_ms = 0;
    return config;
}

void FailPoints::configure(const bson_t* command, bson_t* reply) {
    bson_iter_t iter;
    if (!bson_iter_init(&iter, command) || !bson_iter_next(&iter) || !BSON_ITER_HOLDS_UTF8(&iter)) {
        throw MongoError(code::TypeMismatch, "configureFailPoint must name a failpoint");
    }
    std::string name = bson_iter_utf8(&iter, nullptr);
    if (name != "failCommand" && name != "failGetMoreAfterCursorCheckout" &&
        name != "onPrimaryTransactionalWrite" && name != "hangWithLockDuringBatchInsert") {
        throw MongoError(kFailPointSetFailed, name + " not found");
    }
    Config config = parse(command);
    std::lock_guard lock(mutex_);
    if (name == "onPrimaryTransactionalWrite") {
        // Its closeConnection defaults to true (mongod: transaction_participant.cpp).
        bson_iter_t close;
        bson_iter_init(&iter, command);
        if (!bson_iter_find_descendant(&iter, "data.closeConnection", &close)) {
            config.action.close_connection = true;
        }
    }
    State& state = name == "failCommand"                      ? fail_command_
                   : name == "failGetMoreAfterCursorCheckout" ? fail_get_more_
                   : name == "onPrimaryTransactionalWrite"    ? transactional_write_
                                                              : hang_with_lock_insert_;
    BSON_APPEND_INT64(reply, "count", state.times_entered);
    state.config = std::move(config);
}

bool FailPoints::fire(State& state) {
    Config& config = state.config;
    if (config.mode == Mode::Skip && config.count > 0) {
        --config.count;
        return false;
    }
    if (config.mode == Mode::Times && --config.count == 0) config.mode = Mode::Off;
    ++state.times_entered;
    return true;
}

std::optional<TransactionalWriteAction> FailPoints::check_transactional_write() {
    std::lock_guard lock(mutex_);
    const Config& config = transactional_write_.config;
    if (config.mode == Mode::Off || !fire(transactional_write_)) return std::nullopt;
    return TransactionalWriteAction{config.action.close_connection, config.fail_before_commit_code};
}

std::optional<FailCommandAction> FailPoints::check(std::string_view command, std::string_view ns,
                                                   std::string_view app_name) {
    std::lock_guard lock(mutex_);
    const Config& config = fail_command_.config;
    const FailCommandAction& action = config.action;
    // mongod activates failCommand only when its data asks for something to happen.
    bool acts = action.close_connection || action.block_ms > 0 || action.error_code ||
                !action.write_concern_error.empty();
    if (config.mode == Mode::Off || !acts) return std::nullopt;
    if (std::find(config.commands.begin(), config.commands.end(), command) ==
        config.commands.end()) {
        return std::nullopt;
    }
    if (!config.app_name.empty() && config.app_name != app_name) return std::nullopt;
    if (!config.ns.empty() && config.ns != ns) return std::nullopt;
    if (!fire(fail_command_)) return std::nullopt;
    return config.action;
}

// mongod: getmore_cmd.cpp, uasserted(data.errorCode, "Hit the 'failGetMoreAfterCursorCheckout'
// failpoint") once the cursor is pinned.
std::optional<int> FailPoints::get_more_error_after_checkout() {
    std::lock_guard lock(mutex_);
    const Config& config = fail_get_more_.config;
    if (config.mode == Mode::Off || !config.action.error_code) return std::nullopt;
    if (!fire(fail_get_more_)) return std::nullopt;
    return config.action.error_code;
}

bool FailPoints::enter_hang_with_lock_during_batch_insert() {
    std::lock_guard lock(mutex_);
    return hang_with_lock_insert_.config.mode != Mode::Off && fire(hang_with_lock_insert_);
}

bool FailPoints::hang_with_lock_during_batch_insert() {
    std::lock_guard lock(mutex_);
    return hang_with_lock_insert_.config.mode != Mode::Off;
}

std::string command_namespace(std::string_view db, const bson_t* body) {
    bson_iter_t iter;
    std::string ns(db);
    if (!bson_iter_init(&iter, body) || !bson_iter_next(&iter)) return ns;
    const std::string_view name = bson_iter_key(&iter);
    bson_iter_t collection;
    if (name == "getMore" && bson_iter_init_find(&collection, body, "collection") &&
        BSON_ITER_HOLDS_UTF8(&collection)) {
        return ns + "." + bson_iter_utf8(&collection, nullptr);
    }
    if (BSON_ITER_HOLDS_UTF8(&iter)) return ns + "." + bson_iter_utf8(&iter, nullptr);
    if (name == "aggregate") return ns + ".$cmd.aggregate";
    return ns;
}

}  // namespace tmd
