// The status API's client side: one GET /status, then the fields a person asks about first
// (phase, progress with ETA, lag, catch-up estimate, checkpoint age, failures, warnings).
#include "status/client.h"

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace tributary::status {

namespace {

using nlohmann::json;

std::string seconds_text(const json& value) {
    return value.is_number() ? fmt::format("{:.0f} s", value.get<double>()) : "unknown";
}

std::string collection_line(const std::string& ns, const json& progress) {
    const json& total = progress["documents_total"];
    std::string line = fmt::format("  {}: {}", ns, progress["documents_done"].get<int64_t>());
    if (total.is_number()) line += fmt::format("/{}", total.get<int64_t>());
    if (progress["complete"].get<bool>()) return line + " documents, copied\n";
    return line + fmt::format(" documents, {:.0f}/s, ETA {}\n",
                              progress["documents_per_second"].get<double>(),
                              seconds_text(progress["eta_seconds"]));
}

}  // namespace

Fetched fetch_status(const std::string& host, int port, const std::string& token) {
    httplib::Client client(host, port);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result result = client.Get("/status", headers);
    if (!result) return {std::nullopt, httplib::to_string(result.error())};
    if (result->status == 401) return {std::nullopt, "refused: pass its --status-token"};
    if (result->status != 200) return {std::nullopt, fmt::format("HTTP {}", result->status)};
    return {result->body, ""};
}

std::string describe_status(const std::string& status_json) {
    const json status = json::parse(status_json);
    std::string text = fmt::format("phase:          {}\n", status["phase"].get<std::string>());
    for (const auto& [ns, progress] : status["collections"].items())
        text += collection_line(ns, progress);
    const json& applied = status["last_event_applied"];
    text += fmt::format(
        "events applied: {}\n"
        "last applied:   {}\n"
        "lag:            {} s\n"
        "catch-up ETA:   {}\n"
        "checkpoint age: {}\n"
        "retries:        {}, errors: {}{}\n",
        status["events_applied"]["total"].get<int64_t>(),
        applied.is_string() ? applied.get<std::string>() : "none",
        status["lag_seconds"].get<int64_t>(), seconds_text(status["estimated_seconds_to_catch_up"]),
        seconds_text(status["checkpoint_age_seconds"]), status["retries"].get<int64_t>(),
        status["errors"].get<int64_t>(),
        status["last_batch_failed"].get<bool>() ? " (the last batch failed)" : "");
    for (const json& warning : status["warnings"])
        text += "warning:        " + warning.get<std::string>() + "\n";
    return text;
}

}  // namespace tributary::status
