// Spec runner: executing a unified-format test file as the format's "Test Runner Implementation"
// section describes, with libmongoc as the driver under test.
#include "runner.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "entities.h"
#include "matcher.h"
#include "operations.h"

namespace spec {
namespace {

// The newest schema version whose features this runner implements (operations it lacks are
// reported as failures, never silently passed).
constexpr int kSupportedSchemaMajor = 1;
constexpr int kSupportedSchemaMinor = 12;

std::vector<int> version_parts(const std::string& version) {
    std::vector<int> parts;
    std::stringstream in(version);
    std::string part;
    while (std::getline(in, part, '.'))
        parts.push_back(std::atoi(part.c_str()));
    return parts;
}

// Compares dotted versions, missing components counting as 0 ("4.2" == "4.2.0").
int compare_versions(const std::string& a, const std::string& b) {
    auto pa = version_parts(a), pb = version_parts(b);
    size_t n = std::max(pa.size(), pb.size());
    pa.resize(n, 0);
    pb.resize(n, 0);
    return pa < pb ? -1 : (pa > pb ? 1 : 0);
}

bool schema_supported(const std::string& version) {
    auto parts = version_parts(version);
    parts.resize(2, 0);
    return parts[0] == kSupportedSchemaMajor && parts[1] <= kSupportedSchemaMinor;
}

Doc read_json_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TestFailure("cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    return Doc::from_json(text.str());
}

Doc command_reply(mongoc_client_t* client, const char* db, const Doc& command) {
    Reply reply;
    bson_error_t error;
    if (!mongoc_client_command_simple(client, db, command.get(), nullptr, reply.get(), &error)) {
        throw TestFailure(std::string("command failed: ") + error.message);
    }
    return reply.copy();
}

Doc single_field(const char* key, int32_t value) {
    Doc doc;
    bson_append_int32(doc.get(), key, -1, value);
    return doc;
}

std::string error_summary(const OperationError& error) {
    return std::string(error.client_side ? "client" : "server") + " error " +
           std::to_string(error.code) + " (" + error.code_name() + "): " + error.message;
}

void expect_code(const Doc& expected, const OperationError& error) {
    bson_iter_t code_iter = expected.at("errorCode");
    int64_t code = bson_iter_as_int64(&code_iter);
    bool server_says = false;
    if (error.server_response) {
        auto it = error.server_response->find("code");
        server_says = it && bson_iter_as_int64(&*it) == code;
    }
    if (static_cast<int64_t>(error.code) != code && !server_says) {
        throw TestFailure("expected error code " + std::to_string(code) + ", got " +
                          error_summary(error));
    }
}

void expect_labels(const Doc& expected, const OperationError& error) {
    auto labels = error.labels();
    auto has = [&](const std::string& label) {
        return std::find(labels.begin(), labels.end(), label) != labels.end();
    };
    if (expected.has("errorLabelsContain")) {
        for (auto& label : strings_of(expected.doc("errorLabelsContain"))) {
            if (!has(label))
                throw TestFailure("error lacks label " + label + ": " + error_summary(error));
        }
    }
    if (expected.has("errorLabelsOmit")) {
        for (auto& label : strings_of(expected.doc("errorLabelsOmit"))) {
            if (has(label))
                throw TestFailure("error has label " + label + ": " + error_summary(error));
        }
    }
}

// expectError: each assertion the test states about the error.
void check_error(const Doc& expected, const OperationError& error, Matcher& matcher) {
    static const std::vector<std::string> kKnown = {
        "isError",         "isClientError", "errorContains",
        "errorCode",       "errorCodeName", "errorLabelsContain",
        "errorLabelsOmit", "expectResult",  "errorResponse"};
    for_each(expected.get(), [&](const char* key, const bson_iter_t&) {
        if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
            throw TestFailure(std::string("unsupported expectError assertion ") + key);
        }
    });
    if (expected.has("isClientError") &&
        expected.flag("isClientError", false) != error.client_side) {
        throw TestFailure(std::string("expected a ") + (error.client_side ? "server" : "client") +
                          " error, got " + error_summary(error));
    }
    if (auto text = expected.opt_str("errorContains");
        text && lower(error.message).find(lower(*text)) == std::string::npos) {
        throw TestFailure("expected an error containing '" + *text + "', got " +
                          error_summary(error));
    }
    if (expected.has("errorCode")) expect_code(expected, error);
    if (auto name = expected.opt_str("errorCodeName"); name && error.code_name() != *name) {
        throw TestFailure("expected error " + *name + ", got " + error_summary(error));
    }
    expect_labels(expected, error);
    if (auto result = expected.find("expectResult")) {
        std::optional<bson_iter_t> actual;
        if (error.partial_result) actual = error.partial_result->iter();
        matcher.match(*result, actual ? &*actual : nullptr, Root::kYes, "expectError.expectResult");
    }
    if (auto response = expected.find("errorResponse")) {
        const Doc& source = error.server_response ? *error.server_response : error.reply;
        Doc holder;
        bson_append_document(holder.get(), "v", 1, source.get());
        bson_iter_t actual = holder.at("v");
        matcher.match(*response, &actual, Root::kYes, "errorResponse " + source.json());
    }
}

// Runs one operation and checks expectResult / expectError / saveResultAsEntity; returns the
// error the operation raised (expected or ignored), which withTransaction's callback propagates.
std::optional<OperationError> execute(RunContext& ctx, const Doc& operation, size_t index) {
    std::string what = "operation " + std::to_string(index) + " (" + operation.str("name") + ")";
    Matcher matcher(ctx.entities);
    std::optional<OpResult> result;
    std::optional<OperationError> error;
    try {
        try {
            result = run_operation(ctx, operation);
        } catch (OperationError& e) {
            error = std::move(e);
        }
        if (operation.flag("ignoreResultAndError", false)) return error;
        if (operation.has("expectError")) {
            if (!error) {
                std::string got = result && result->value ? result->value->json() : "no result";
                throw TestFailure("expected an error, got " + got);
            }
            check_error(operation.doc("expectError"), *error, matcher);
            return error;
        }
        if (error) throw TestFailure("unexpected " + error_summary(*error));
        if (auto expected = operation.find("expectResult")) {
            std::optional<bson_iter_t> actual;
            if (result->value) actual = result->value->iter();
            matcher.match(*expected, actual ? &*actual : nullptr, result->root, "expectResult");
        }
    } catch (const TestFailure& failure) {
        throw TestFailure(what + ": " + failure.what());
    }
    if (auto id = operation.opt_str("saveResultAsEntity")) {
        if (result->stream) {
            ctx.entities.add_change_stream(*id, std::move(result->stream));
        } else {
            ctx.entities.add_value(*id, result->value ? *result->value : Value::of_null());
        }
    }
    return std::nullopt;
}

std::string event_list(const std::vector<Event>& events) {
    std::string out = "[";
    for (const auto& event : events) {
        out += (out.size() > 1 ? ", " : "") + event.command_name;
        if (event.type != "commandStartedEvent") out += "(" + event.type + ")";
    }
    return out + "]";
}

void check_event(const Doc& expected_event, const Event& actual, Matcher& matcher,
                 const std::string& what) {
    bson_iter_t it;
    bson_iter_init(&it, expected_event.get());
    bson_iter_next(&it);
    std::string type = bson_iter_key(&it);
    if (type != actual.type) {
        throw TestFailure(what + ": expected " + type + ", got " + actual.type + " for " +
                          actual.command_name);
    }
    Doc fields = Doc::from_iter(it);
    for_each(fields.get(), [&](const char* key, const bson_iter_t& value) {
        std::string field = key;
        if (field == "command" || field == "reply") {
            Doc holder;
            bson_append_document(holder.get(), "v", 1, actual.body.get());
            bson_iter_t body = holder.at("v");
            matcher.match(value, &body, Root::kYes, what + "." + field + " " + actual.body.json());
        } else if (field == "commandName" || field == "databaseName") {
            const std::string& got =
                field == "commandName" ? actual.command_name : actual.database_name;
            if (got != bson_iter_utf8(&value, nullptr)) {
                throw TestFailure(what + ": expected " + field + " " + value_json(value) +
                                  ", got \"" + got + "\"");
            }
        } else if (field == "hasServiceId" || field == "hasServerConnectionId") {
            // Not exposed by libmongoc 1.23 APM; only "false" for a replica set can be asserted.
            if (field == "hasServiceId" && bson_iter_as_bool(&value)) {
                throw TestFailure(what + ": no serviceId outside load-balanced mode");
            }
        } else {
            throw TestFailure(what + ": unsupported event assertion " + field);
        }
    });
}

void check_events(EntityMap& entities, const Doc& expect_events) {
    Matcher matcher(entities);
    for (Doc& expectation : docs_of_array(*expect_events.find("v"))) {
        std::string client_id = expectation.str("client");
        std::string event_type = expectation.opt_str("eventType").value_or("command");
        if (event_type != "command") {
            throw TestSkip(event_type + " events are not exposed by libmongoc 1.23");
        }
        const auto& actual = entities.client(client_id).events();
        std::vector<Doc> expected = docs_of_array(*expectation.find("events"));
        bool ignore_extra = expectation.flag("ignoreExtraEvents", false);
        if (actual.size() < expected.size() ||
            (!ignore_extra && actual.size() != expected.size())) {
            throw TestFailure("expectEvents " + client_id + ": expected " +
                              std::to_string(expected.size()) + " events, got " +
                              std::to_string(actual.size()) + " " + event_list(actual));
        }
        for (size_t i = 0; i < expected.size(); ++i) {
            check_event(expected[i], actual[i], matcher,
                        "expectEvents " + client_id + "[" + std::to_string(i) + "]");
        }
    }
}

mongoc_collection_t* internal_collection(mongoc_client_t* client, const Doc& data) {
    return mongoc_client_get_collection(client, data.str("databaseName").c_str(),
                                        data.str("collectionName").c_str());
}

Doc majority_opts() {
    Doc opts;
    bson_t wc;
    BSON_APPEND_DOCUMENT_BEGIN(opts.get(), "writeConcern", &wc);
    BSON_APPEND_UTF8(&wc, "w", "majority");
    bson_append_document_end(opts.get(), &wc);
    return opts;
}

[[noreturn]] void setup_failed(const std::string& step, const bson_error_t& error) {
    throw TestFailure(step + ": " + error.message);
}

// "If the test started a transaction (i.e. executed a startTransaction or withTransaction
// operation)" (unified format, "Executing a Test").
bool starts_transaction(const Doc& test) {
    for (const Doc& operation : docs_of_array(*test.find("operations"))) {
        std::string name = operation.str("name");
        if (name == "startTransaction" || name == "withTransaction") return true;
    }
    return false;
}

}  // namespace

ServerInfo describe_server(mongoc_client_t* client) {
    ServerInfo info;
    Doc build_info = command_reply(client, "admin", single_field("buildInfo", 1));
    info.version = build_info.str("version");
    Doc hello = command_reply(client, "admin", single_field("hello", 1));
    if (hello.has("setName")) {
        info.topology = "replicaset";
    } else if (hello.opt_str("msg").value_or("") == "isdbgrid") {
        info.topology = "sharded";
    } else {
        info.topology = "single";
    }
    const mongoc_uri_t* uri = mongoc_client_get_uri(client);
    info.auth = mongoc_uri_get_username(uri) != nullptr;
    return info;
}

bool FileRunner::satisfied(const Doc& requirement) {
    if (auto min = requirement.opt_str("minServerVersion");
        min && compare_versions(server_.version, *min) < 0) {
        return false;
    }
    if (auto max = requirement.opt_str("maxServerVersion");
        max && compare_versions(server_.version, *max) > 0) {
        return false;
    }
    if (requirement.has("topologies")) {
        auto topologies = strings_of(requirement.doc("topologies"));
        bool found =
            std::find(topologies.begin(), topologies.end(), server_.topology) != topologies.end();
        if (!found) return false;
    }
    // This runner never targets serverless, so only "require" excludes it.
    if (requirement.opt_str("serverless").value_or("allow") == "require") return false;
    if (requirement.has("auth") && requirement.flag("auth", false) != server_.auth) return false;
    if (requirement.flag("csfle", false)) return false;
    if (requirement.has("serverParameters")) {
        Doc wanted = requirement.doc("serverParameters");
        bool all = true;
        for_each(wanted.get(), [&](const char* name, const bson_iter_t& value) {
            Doc command = single_field("getParameter", 1);
            bson_append_int32(command.get(), name, -1, 1);
            Reply reply;
            bson_error_t error;
            bson_iter_t actual;
            EntityMap none;
            try {
                all = all &&
                      mongoc_client_command_simple(internal_, "admin", command.get(), nullptr,
                                                   reply.get(), &error) &&
                      bson_iter_init_find(&actual, reply.get(), name) &&
                      (Matcher(none).match(value, &actual, Root::kNo, name), true);
            } catch (const TestFailure&) {
                all = false;
            }
        });
        if (!all) return false;
    }
    return true;
}

std::optional<std::string> FileRunner::unmet_requirements(const Doc& holder, const char* key) {
    if (!holder.has(key)) return std::nullopt;
    std::vector<Doc> requirements = docs_of_array(*holder.find(key));
    for (const Doc& requirement : requirements) {
        if (satisfied(requirement)) return std::nullopt;
    }
    return "runOnRequirements not met by " + server_.topology + " " + server_.version;
}

void FileRunner::load_initial_data(const Doc& file) {
    if (!file.has("initialData")) return;
    for (Doc& data : docs_of_array(*file.find("initialData"))) {
        CollectionPtr coll(internal_collection(internal_, data));
        Doc majority = majority_opts();
        bson_error_t error;
        if (!mongoc_collection_drop_with_opts(coll.get(), majority.get(), &error) &&
            error.code != 26) {
            setup_failed("initialData drop", error);
        }
        std::vector<Doc> documents = docs_of_array(*data.find("documents"));
        bool create = data.has("createOptions") || documents.empty();
        if (create) {
            Doc opts = data.has("createOptions") ? data.doc("createOptions") : Doc();
            bson_concat(opts.get(), majority.get());
            DatabasePtr db(mongoc_client_get_database(internal_, data.str("databaseName").c_str()));
            CollectionPtr created(mongoc_database_create_collection(
                db.get(), data.str("collectionName").c_str(), opts.get(), &error));
            if (!created) setup_failed("initialData create", error);
        }
        if (documents.empty()) continue;
        DocPointers pointers(documents);
        // The internal client stores the data as given: no client-side key validation.
        BSON_APPEND_BOOL(majority.get(), "validate", false);
        if (!mongoc_collection_insert_many(coll.get(), pointers.data(), pointers.size(),
                                           majority.get(), nullptr, &error)) {
            setup_failed("initialData insert", error);
        }
    }
}

void FileRunner::check_outcome(const Doc& test) {
    if (!test.has("outcome")) return;
    for (Doc& data : docs_of_array(*test.find("outcome"))) {
        CollectionPtr coll(internal_collection(internal_, data));
        mongoc_read_concern_t* local = mongoc_read_concern_new();
        mongoc_read_concern_set_level(local, MONGOC_READ_CONCERN_LEVEL_LOCAL);
        mongoc_collection_set_read_concern(coll.get(), local);
        mongoc_read_concern_destroy(local);
        Doc opts;
        bson_t sort;
        BSON_APPEND_DOCUMENT_BEGIN(opts.get(), "sort", &sort);
        BSON_APPEND_INT32(&sort, "_id", 1);
        bson_append_document_end(opts.get(), &sort);
        Doc filter;
        mongoc_cursor_t* cursor =
            mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr);
        std::vector<Doc> actual;
        const bson_t* doc = nullptr;
        while (mongoc_cursor_next(cursor, &doc))
            actual.push_back(Doc::copy_of(doc));
        bson_error_t error;
        bool failed = mongoc_cursor_error(cursor, &error);
        mongoc_cursor_destroy(cursor);
        std::string what = "outcome " + data.str("databaseName") + "." + data.str("collectionName");
        if (failed) throw TestFailure(what + ": " + error.message);
        std::vector<Doc> expected = docs_of_array(*data.find("documents"));
        Value actual_value = Value::of_array(actual);
        Value expected_value = Value::of_array(expected);
        Doc expected_holder = Doc::from_iter(expected_value.iter());
        Doc actual_holder = Doc::from_iter(actual_value.iter());
        Matcher::match_exactly(expected_holder.get(), actual_holder.get(), what);
    }
}

void FileRunner::disable_fail_points(const std::vector<std::string>& names) {
    for (const auto& name : names) {
        Doc command;
        BSON_APPEND_UTF8(command.get(), "configureFailPoint", name.c_str());
        BSON_APPEND_UTF8(command.get(), "mode", "off");
        bson_error_t error;
        if (!mongoc_client_command_simple(internal_, "admin", command.get(), nullptr, nullptr,
                                          &error)) {
            throw TestFailure("cannot disable fail point " + name + ": " + error.message);
        }
    }
}

// Unified test format, "Terminating Open Transactions": killAllSessions on the primary with the
// internal client, ignoring Interrupted (11601), Unauthorized (13) and CommandNotFound (59).
void FileRunner::terminate_open_transactions() {
    Doc command;
    bson_t empty;
    BSON_APPEND_ARRAY_BEGIN(command.get(), "killAllSessions", &empty);
    bson_append_array_end(command.get(), &empty);
    bson_error_t error;
    if (!mongoc_client_command_simple(internal_, "admin", command.get(), nullptr, nullptr,
                                      &error) &&
        error.code != 11601 && error.code != 13 && error.code != 59) {
        throw TestFailure(std::string("killAllSessions: ") + error.message);
    }
}

bool FileRunner::listed_and_not_run(const std::optional<std::string>& reason) const {
    return reason && !(run_pending_ && Skips::is_pending(*reason));
}

TestReport FileRunner::run_test(const Doc& file, const Doc& test, const std::string& shown_as) {
    using Status = TestReport::Status;
    std::string description = test.str("description");
    auto listed = skips_.reason(shown_as, description);
    if (listed_and_not_run(listed)) return {Status::kListed, description, "skips.txt: " + *listed};
    if (auto reason = test.opt_str("skipReason")) return {Status::kSkipped, description, *reason};
    if (auto reason = unmet_requirements(test, "runOnRequirements")) {
        return {Status::kSkipped, description, *reason};
    }
    TestReport report = execute_test(file, test, description);
    if (!listed) return report;
    // --run-pending: a pending test that passes now fails, so that its line is removed.
    if (report.status == Status::kPassed) {
        return {Status::kFailed, description,
                "passes, but skips.txt lists it (" + *listed + "): remove the line"};
    }
    return {Status::kListed, description, "skips.txt: " + *listed + "; still " + report.reason};
}

TestReport FileRunner::execute_test(const Doc& file, const Doc& test,
                                    const std::string& description) {
    using Status = TestReport::Status;
    EntityMap entities;
    RunContext ctx{entities, uri_, internal_, {}, {}};
    ctx.execute = [&ctx](const Doc& operation, size_t index) {
        return execute(ctx, operation, index);
    };
    TestReport report{Status::kPassed, description, ""};
    try {
        load_initial_data(file);
        if (file.has("createEntities")) {
            for (Doc& entity : docs_of_array(*file.find("createEntities"))) {
                entities.create(entity, uri_);
            }
        }
        std::vector<Doc> operations = docs_of_array(*test.find("operations"));
        for (size_t i = 0; i < operations.size(); ++i)
            execute(ctx, operations[i], i);
        for (ClientEntity* client : entities.clients())
            client->set_recording(false);
        if (auto expected = test.find("expectEvents")) {
            Doc holder;
            bson_append_iter(holder.get(), "v", 1, &*expected);
            check_events(entities, holder);
        }
        check_outcome(test);
    } catch (const TestFailure& failure) {
        report = {Status::kFailed, description, failure.what()};
    } catch (const TestSkip& skip) {
        report = {Status::kSkipped, description, skip.what()};
    } catch (const OperationError& error) {  // a driver error outside any operation
        report = {Status::kFailed, description, error_summary(error)};
    }
    try {
        entities.clear();
        disable_fail_points(ctx.fail_points);
        if (report.status == Status::kFailed || starts_transaction(test)) {
            terminate_open_transactions();
        }
    } catch (const TestFailure& failure) {
        report = {Status::kFailed, description, failure.what()};
    }
    return report;
}

std::vector<TestReport> FileRunner::run(const std::string& path, const std::string& shown_as) {
    using Status = TestReport::Status;
    Doc file = read_json_file(path);
    std::vector<Doc> tests = docs_of_array(*file.find("tests"));
    auto all = [&](Status status, const std::string& reason) {
        std::vector<TestReport> reports;
        for (const Doc& test : tests)
            reports.push_back({status, test.str("description"), reason});
        return reports;
    };
    std::string schema = file.str("schemaVersion");
    if (!schema_supported(schema)) {
        return all(Status::kSkipped, "schemaVersion " + schema + " is newer than the supported " +
                                         std::to_string(kSupportedSchemaMajor) + "." +
                                         std::to_string(kSupportedSchemaMinor));
    }
    if (auto reason = skips_.reason(shown_as, ""); listed_and_not_run(reason))
        return all(Status::kListed, "skips.txt: " + *reason);
    if (auto reason = unmet_requirements(file, "runOnRequirements")) {
        return all(Status::kSkipped, *reason);
    }
    std::vector<TestReport> reports;
    for (const Doc& test : tests)
        reports.push_back(run_test(file, test, shown_as));
    return reports;
}

}  // namespace spec
