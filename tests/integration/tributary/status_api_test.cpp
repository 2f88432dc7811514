// The status API of `tributary sync --status-addr` through a real HTTP client (cpp-httplib's):
// /status phases and progress from the copy to live replication, /metrics in the Prometheus text
// format, /healthz 503 while the source is stalled (fault proxy) and 200 again after, the bearer
// token, `tributary status` asking the running sync, the progress line on a pseudo-terminal, and
// no password anywhere in the answers.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_get.h"
#include "replicate_sync_fixture.h"
#include "support/fault_proxy.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tributary_test::eventually;
using tributary_test::free_port;
using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

struct Answer {
    int status = 0;  // 0: no answer
    std::string body;
};

class StatusApiTest : public ReplicateSyncTest {
  protected:
    void SetUp() override { start_servers("7.0"); }
    void TearDown() override {
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        // A test that slowed a server with a failpoint and failed before disarming it.
        for (auto* server : {source_.get(), dest_.get()}) {
            if (server)
                server->run_command("admin",
                                    R"({"configureFailPoint": "failCommand", "mode": "off"})");
        }
        ReplicateSyncTest::TearDown();
    }

    std::vector<std::string> status_flags(std::vector<std::string> extra = {}) {
        std::vector<std::string> flags{"--status-addr", "127.0.0.1:" + std::to_string(port_)};
        flags.insert(flags.end(), extra.begin(), extra.end());
        return flags;
    }
    Answer get(const std::string& path, const std::string& token = "") const {
        httplib::Client client("127.0.0.1", port_);
        client.set_connection_timeout(2);
        client.set_read_timeout(5);
        httplib::Headers headers;
        if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
        httplib::Result result = client.Get(path, headers);
        if (!result) return {};
        return {result->status, result->body};
    }
    json status() const {
        Answer answer = get("/status");
        if (answer.status != 200) return json::object();
        return json::parse(answer.body);
    }
    // The /healthz answer once its status is `code`, or the last one after `timeout`.
    Answer health_becomes(int code, std::chrono::seconds timeout) const {
        Answer answer;
        eventually(
            [&] {
                answer = get("/healthz");
                return answer.status == code;
            },
            timeout);
        return answer;
    }
    bool phase_is(const std::string& phase, std::chrono::seconds timeout = 30s) {
        return eventually([&] { return status().value("phase", "") == phase; }, timeout);
    }

    int port_ = free_port();
    std::unique_ptr<TributaryProcess> sync_;
};

// Each line of the Prometheus text exposition format (version 0.0.4): a # HELP or # TYPE
// comment, or `name{label="value",...} number`.
void expect_prometheus_text(const std::string& text) {
    const std::regex comment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
    const std::regex sample(
        R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? -?[0-9.e+]+)");
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        EXPECT_TRUE(std::regex_match(line, comment) || std::regex_match(line, sample)) << line;
    }
}

TEST_F(StatusApiTest, ReportsTheCopyThenLiveReplication) {
    insert_range("c", 0, 3000);
    sync_ = std::make_unique<TributaryProcess>(sync_args(status_flags({"--batch-size", "100"})));
    // Phases only move forward: catalog, copying, catching up, live.
    const std::vector<std::string> order{"starting", "catalog", "copying", "catching up", "live"};
    size_t reached = 0;
    ASSERT_TRUE(eventually(
        [&] {
            const std::string phase = status().value("phase", "");
            auto at = std::find(order.begin(), order.end(), phase);
            if (at == order.end()) return false;
            EXPECT_GE(size_t(at - order.begin()), reached) << phase;
            reached = std::max(reached, size_t(at - order.begin()));
            return phase == "live";
        },
        60s))
        << sync_->output();
    json copied = status()["collections"][db_ + ".c"];
    EXPECT_EQ(copied["documents_done"], 3000) << copied;
    EXPECT_EQ(copied["documents_total"], 3000) << copied;
    EXPECT_EQ(copied["complete"], true) << copied;
    EXPECT_GT(copied["bytes_done"].get<int64_t>(), 3000 * 20) << copied;

    insert_range("c", 3000, 10);
    source_command(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"n": 1}}}]})");
    json live;
    ASSERT_TRUE(eventually(
        [&] {
            live = status();
            return live["events_applied"]["by_type"].value("update", 0) == 1 &&
                   live["events_applied"]["by_type"].value("insert", 0) == 10;
        },
        30s))
        << live;
    EXPECT_EQ(live["events_applied"]["by_namespace"][db_ + ".c"], 11) << live;
    EXPECT_EQ(live["lag_seconds"], 0) << live;
    EXPECT_TRUE(live["last_event_applied"].is_string()) << live;
    EXPECT_TRUE(live["checkpoint_age_seconds"].is_number()) << live;
    EXPECT_EQ(live["last_batch_failed"], false) << live;

    Answer metrics = get("/metrics");
    ASSERT_EQ(metrics.status, 200);
    expect_prometheus_text(metrics.body);
    for (const std::string& series :
         {std::string("tributary_documents_copied_total 3000"),
          "tributary_collection_documents_copied{namespace=\"" + db_ + ".c\"} 3000",
          "tributary_collection_copy_complete{namespace=\"" + db_ + ".c\"} 1",
          std::string("tributary_events_applied_by_type_total{type=\"update\"} 1"),
          std::string("tributary_phase{phase=\"live\"} 1"), std::string("tributary_errors_total 0"),
          std::string("tributary_stream_lag_seconds 0")}) {
        EXPECT_NE(metrics.body.find(series + "\n"), std::string::npos) << series << metrics.body;
    }
    EXPECT_EQ(get("/healthz").status, 200);
    EXPECT_TRUE(converges(nullptr));
}

// The Prometheus project's own parser (Debian python3-prometheus-client) reads /metrics; the
// samples it found, one line each: "name [(label, value), ...] value".
std::optional<std::string> parsed_by_prometheus_client(const std::string& text) {
    const std::string file =
        (std::filesystem::temp_directory_path() / testsupport::unique_name("metrics")).string();
    std::ofstream(file) << text;
    testsupport::ChildProcess parser(
        "/usr/bin/python3",
        {"-c",
         "import sys\n"
         "from prometheus_client.parser import text_string_to_metric_families\n"
         "for family in text_string_to_metric_families(open(sys.argv[1]).read()):\n"
         "    for s in family.samples: print(s.name, sorted(s.labels.items()), s.value)\n",
         file});
    const int code = parser.wait(30s);
    std::filesystem::remove(file);
    if (code != 0) {
        ADD_FAILURE() << "prometheus_client rejected /metrics: " << parser.output() << text;
        return std::nullopt;
    }
    return parser.output();
}

bool prometheus_client_installed() {
    testsupport::ChildProcess probe("/usr/bin/python3", {"-c", "import prometheus_client"});
    return probe.wait(30s) == 0;
}

TEST_F(StatusApiTest, MetricsParseWithThePrometheusClientsParser) {
    if (!prometheus_client_installed()) GTEST_SKIP() << "python3-prometheus-client not installed";
    insert_range("c", 0, 20);
    sync_ = std::make_unique<TributaryProcess>(sync_args(status_flags()));
    ASSERT_TRUE(phase_is("live")) << sync_->output();
    source_command(R"({"delete": "c", "deletes": [{"q": {"_id": 3}, "limit": 1}]})");
    ASSERT_TRUE(eventually([&] { return status()["events_applied"]["total"] == 1; }, 30s));
    std::optional<std::string> samples = parsed_by_prometheus_client(get("/metrics").body);
    ASSERT_TRUE(samples.has_value());
    for (const std::string& sample :
         {std::string("tributary_documents_copied_total [] 20.0"),
          "tributary_collection_documents_total [('namespace', '" + db_ + ".c')] 20.0",
          std::string("tributary_events_applied_by_type_total [('type', 'delete')] 1.0"),
          std::string("tributary_phase [('phase', 'live')] 1.0"),
          std::string("tributary_replication_lag_seconds [] ")}) {
        EXPECT_NE(samples->find(sample), std::string::npos) << sample << "\n" << *samples;
    }
}

TEST_F(StatusApiTest, TokenProtectsEveryEndpoint) {
    insert_range("c", 0, 10);
    sync_ = std::make_unique<TributaryProcess>(
        sync_args(status_flags({"--status-token", "s3cret-token"})));
    ASSERT_TRUE(eventually([&] { return get("/healthz", "s3cret-token").status == 200; }, 30s))
        << sync_->output();
    for (const char* path : {"/status", "/metrics", "/healthz"}) {
        EXPECT_EQ(get(path).status, 401) << path;
        EXPECT_EQ(get(path, "wrong").status, 401) << path;
        EXPECT_EQ(get(path, "s3cret-token").status, 200) << path;
    }
    EXPECT_EQ(get("/status", "s3cret-token").body.find("s3cret"), std::string::npos);
}

TEST_F(StatusApiTest, StatusCommandAsksTheRunningSync) {
    insert_range("c", 0, 10);
    sync_ = std::make_unique<TributaryProcess>(sync_args(status_flags()));
    ASSERT_TRUE(phase_is("live")) << sync_->output();
    std::string output;
    EXPECT_EQ(TributaryProcess::run(
                  {"status", "--status-addr", "127.0.0.1:" + std::to_string(port_)}, &output),
              0);
    EXPECT_NE(output.find("phase:          live"), std::string::npos) << output;
    EXPECT_NE(output.find(db_ + ".c: 10/10 documents, copied"), std::string::npos) << output;
    EXPECT_NE(output.find("lag:            0 s"), std::string::npos) << output;

    // The checkpoint: times as dates and ages, not raw timestamps.
    EXPECT_EQ(TributaryProcess::run({"status", "--state-file", state_file_}, &output), 0);
    EXPECT_TRUE(std::regex_search(
        output, std::regex(R"(start point: .* at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ s ago\))")))
        << output;
}

TEST_F(StatusApiTest, StatusCommandFallsBackToTheCheckpoint) {
    insert_range("c", 0, 10);
    EXPECT_EQ(
        TributaryProcess::run({"status", "--status-addr", "127.0.0.1:" + std::to_string(port_),
                               "--state-file", state_file_}),
        0);
    std::string output;
    TributaryProcess::run({"status", "--status-addr", "127.0.0.1:" + std::to_string(port_),
                           "--state-file", state_file_},
                          &output);
    EXPECT_NE(output.find("No running sync answers at 127.0.0.1:" + std::to_string(port_)),
              std::string::npos)
        << output;
    EXPECT_NE(output.find("No checkpoint in"), std::string::npos) << output;
}

TEST_F(StatusApiTest, HealthzIs503WhileTheSourceStalls) {
    SKIP_UNLESS_OWN_SERVERS("puts a proxy in front of its own source");
    insert_range("c", 0, 10);
    testsupport::FaultProxy proxy(source_server_.process->port());
    sync_ = std::make_unique<TributaryProcess>(std::vector<std::string>{
        "sync", "--source", proxy.uri() + "&socketTimeoutMS=20000", "--destination",
        dest_server_.uri, "--db", db_, "--state-file", state_file_, "--status-addr",
        "127.0.0.1:" + std::to_string(port_), "--stall-timeout", "3"});
    ASSERT_TRUE(phase_is("live")) << sync_->output();
    EXPECT_EQ(get("/healthz").status, 200);
    proxy.set_stalled(true);
    Answer stalled = health_becomes(503, 20s);
    EXPECT_EQ(stalled.status, 503) << sync_->output();
    EXPECT_NE(stalled.body.find("no progress for"), std::string::npos) << stalled.body;
    proxy.set_stalled(false);
    EXPECT_EQ(health_becomes(200, 40s).status, 200) << sync_->output();
}

TEST_F(StatusApiTest, ReportsProgressDuringTheCopy) {
    SKIP_UNLESS_OWN_SERVERS("puts a proxy in front of its own source");
    insert_range("c", 0, 3000);
    // Each chunk forwarded from the source waits: the copy takes seconds.
    testsupport::FaultProxy proxy(source_server_.process->port());
    proxy.set_delay(100ms);
    sync_ = std::make_unique<TributaryProcess>(
        std::vector<std::string>{"sync", "--source", proxy.uri(), "--destination", dest_server_.uri,
                                 "--db", db_, "--state-file", state_file_, "--status-addr",
                                 "127.0.0.1:" + std::to_string(port_), "--batch-size", "100"});
    json copying;
    ASSERT_TRUE(eventually(
        [&] {
            copying = status();
            const json& c = copying["collections"][db_ + ".c"];
            return copying["phase"] == "copying" && c.is_object() && c["documents_done"] > 0 &&
                   c["complete"] == false;
        },
        60s))
        << copying << sync_->output();
    const json& c = copying["collections"][db_ + ".c"];
    EXPECT_EQ(c["documents_total"], 3000) << copying;
    EXPECT_GT(c["documents_per_second"].get<double>(), 0) << copying;
    EXPECT_TRUE(c["eta_seconds"].is_number()) << copying;
    EXPECT_TRUE(c["bytes_total_estimated"].is_number()) << copying;
    EXPECT_EQ(get("/healthz").status, 200);
    EXPECT_NE(get("/metrics").body.find("tributary_phase{phase=\"copying\"} 1\n"),
              std::string::npos);
    proxy.set_delay(0ms);
    EXPECT_TRUE(phase_is("live", 60s)) << sync_->output();
}

TEST_F(StatusApiTest, HealthzIs503WhileABatchFails) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint on the destination");
    insert_range("c", 0, 10);
    sync_ = std::make_unique<TributaryProcess>(sync_args(status_flags()));
    ASSERT_TRUE(phase_is("live")) << sync_->output();
    // Every write fails for an outage longer than a few quick attempts (a primary election takes
    // about 10 s): tributary keeps retrying the batch, /healthz says so meanwhile, and the batch
    // is applied once the failures stop.
    fail_destination_writes_until_disarmed();
    insert_range("c", 100, 5);
    Answer failing = health_becomes(503, 20s);
    EXPECT_TRUE(eventually([&] { return status().value("retries", int64_t{0}) >= 6; }, 30s))
        << sync_->output();
    dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
    EXPECT_EQ(failing.status, 503) << sync_->output();
    EXPECT_NE(failing.body.find("the last batch failed"), std::string::npos) << failing.body;
    EXPECT_EQ(health_becomes(200, 30s).status, 200) << sync_->output();
    json after = status();
    EXPECT_GE(after["errors"].get<int64_t>(), 1) << after;
    EXPECT_GE(after["retries"].get<int64_t>(), 6) << after;
    EXPECT_EQ(after["events_applied"]["total"], 5) << after;
    EXPECT_TRUE(converges(nullptr));
}

TEST_F(StatusApiTest, ReportsLagAndAnEstimateWhileCatchingUp) {
    SKIP_UNLESS_OWN_SERVERS("slows the destination's writes with a server-wide failpoint");
    insert_range("c", 0, 10);
    sync_ = std::make_unique<TributaryProcess>(sync_args(status_flags({"--batch-size", "50"})));
    ASSERT_TRUE(phase_is("live")) << sync_->output();
    ASSERT_EQ(sync_->terminate(), 0) << sync_->output();
    // A backlog written over several seconds of the source's cluster time while no sync runs.
    int next = 1000;
    for (const auto until = std::chrono::steady_clock::now() + 6s;
         std::chrono::steady_clock::now() < until; next += 100) {
        insert_range("c", next, 100);
        std::this_thread::sleep_for(150ms);
    }
    // Each write command to the destination waits 1 s: a batch (1,000 events, about 1.5 s of the
    // source's time) is applied per second, so the catch-up takes seconds.
    auto armed = dest_->run_command("admin", R"({"configureFailPoint": "failCommand",
        "mode": "alwaysOn", "data": {"failCommands": ["insert", "update", "delete"],
        "blockConnection": true, "blockTimeMS": 1000}})");
    ASSERT_TRUE(armed.ok) << armed.error;
    sync_ = std::make_unique<TributaryProcess>(sync_args(status_flags({"--batch-size", "50"})));
    json catching_up;
    const bool estimated = eventually(
        [&] {
            catching_up = status();
            return catching_up.value("phase", "") == "catching up" &&
                   catching_up.value("lag_seconds", int64_t{0}) > 0 &&
                   catching_up["estimated_seconds_to_catch_up"].is_number();
        },
        60s);
    dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
    EXPECT_TRUE(estimated) << catching_up << sync_->output();
    EXPECT_GT(catching_up["estimated_seconds_to_catch_up"].get<double>(), 0) << catching_up;
    json live;
    EXPECT_TRUE(eventually(
        [&] {
            live = status();
            return live.value("phase", "") == "live" &&
                   live["events_applied"].value("total", 0) == next - 1000;
        },
        60s))
        << live << sync_->output();
    EXPECT_EQ(live["lag_seconds"], 0) << live;
    EXPECT_TRUE(live["estimated_seconds_to_catch_up"].is_null()) << live;
    EXPECT_TRUE(converges(nullptr));
}

// `tributary args...` on a pseudo-terminal (forkpty), its terminal output collected.
class OnTerminal {
  public:
    explicit OnTerminal(const std::vector<std::string>& args) {
        std::vector<char*> argv;
        std::string path = TRIBUTARY_PATH;
        argv.push_back(path.data());
        std::vector<std::string> copies = args;
        for (std::string& arg : copies)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
        if (pid_ == 0) {
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        reader_ = std::thread([this] {
            char buffer[4096];
            for (ssize_t n; (n = ::read(master_, buffer, sizeof buffer)) > 0;) {
                std::lock_guard lock(mutex_);
                output_.append(buffer, size_t(n));
            }
        });
    }
    void stop() const { ::kill(pid_, SIGTERM); }
    ~OnTerminal() {
        stop();
        ::waitpid(pid_, nullptr, 0);
        ::close(master_);  // ends the reader's read
        reader_.join();
    }
    std::string output() const {
        std::lock_guard lock(mutex_);
        return output_;
    }
    bool output_contains(const std::string& text) const {
        return output().find(text) != std::string::npos;
    }

  private:
    pid_t pid_ = -1;
    int master_ = -1;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::string output_;
};

TEST_F(StatusApiTest, ProgressLineOnATerminal) {
    insert_range("c", 0, 2000);
    {
        OnTerminal terminal(sync_args({"--batch-size", "100"}));
        EXPECT_TRUE(eventually(
            [&] { return terminal.output_contains("\r[live] 2000/2000 documents (100%)"); }, 60s))
            << terminal.output();
        // A log line clears the progress line first, so it starts at the line's beginning.
        terminal.stop();
        EXPECT_TRUE(eventually([&] { return terminal.output_contains("\r\033[J20"); }, 30s))
            << terminal.output();
    }
    // --no-progress: log lines only.
    OnTerminal plain(sync_args({"--no-progress"}));
    EXPECT_TRUE(eventually([&] { return plain.output_contains("change stream started"); }, 60s))
        << plain.output();
    EXPECT_FALSE(eventually([&] { return plain.output_contains("[live]"); }, 3s)) << plain.output();
}

// Each log line in terminal output stands on its own line: the display drawn before it (if any) is
// erased first ("\r", up to its first line, erase below), and no part of a drawing follows it.
void expect_clean_log_lines(const std::string& output) {
    const std::regex log_start(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - [A-Z]+ - )");
    const std::regex erased(R"(([\s\S]*\r(\x1b\[\d+A)?\x1b\[J)?)");
    std::istringstream lines(output);
    std::string line;
    int log_lines = 0;
    while (std::getline(lines, line)) {
        std::smatch at;
        if (!std::regex_search(line, at, log_start)) continue;
        ++log_lines;
        EXPECT_TRUE(std::regex_match(line.substr(0, size_t(at.position())), erased)) << line;
        const std::string message = at.suffix();
        EXPECT_EQ(message.find('\x1b'), std::string::npos) << line;
        EXPECT_EQ(message.find("[copying]"), std::string::npos) << line;
    }
    EXPECT_GT(log_lines, 0) << output;
}

TEST_F(StatusApiTest, ProgressBarsPerCollectionOnATerminal) {
    SKIP_UNLESS_OWN_SERVERS("slows the source's reads with a server-wide failpoint");
    const std::vector<std::string> names{"a", "b", "c"};
    for (const std::string& coll : names)
        insert_range(coll, 0, 3000);
    // Each read batch (100 documents) of tributary waits 200 ms: the copy takes seconds.
    auto armed = source_->run_command("admin", R"({"configureFailPoint": "failCommand",
        "mode": "alwaysOn", "data": {"failCommands": ["getMore"], "appName": "tributary",
        "blockConnection": true, "blockTimeMS": 200}})");
    ASSERT_TRUE(armed.ok) << armed.error;
    // Not a terminal: nothing drawn during seconds of copying.
    sync_ = std::make_unique<TributaryProcess>(sync_args(status_flags({"--batch-size", "100"})));
    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(eventually(
        [&] {
            return status().value("phase", "") == "copying" &&
                   std::chrono::steady_clock::now() - started > 2500ms;
        },
        60s))
        << sync_->output();
    ASSERT_EQ(sync_->terminate(), 0) << sync_->output();
    EXPECT_EQ(sync_->output().find('\x1b'), std::string::npos) << sync_->output();
    EXPECT_EQ(sync_->output().find("[copying]"), std::string::npos) << sync_->output();
    sync_.reset();

    // On a terminal the copy resumes with a total line and a bar per collection being copied.
    std::string escaped_db =
        std::regex_replace(db_, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
    std::vector<std::regex> frame{
        std::regex(R"(\[copying\] total \[[#.]{20}\] \d+/\d+ \(\d+%\) documents, \d+/s)")};
    for (const std::string& coll : names) {
        frame.emplace_back("\n  " + escaped_db + "\\." + coll +
                           R"( \[[#.]{20}\] \d+/3000 \(\d+%\), \d+/s)");
    }
    {
        OnTerminal terminal(sync_args({"--batch-size", "100"}));
        EXPECT_TRUE(eventually(
            [&] {
                const std::string output = terminal.output();
                return std::all_of(frame.begin(), frame.end(), [&](const std::regex& line) {
                    return std::regex_search(output, line);
                });
            },
            60s))
            << terminal.output();
        source_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
        // Replication: one line with the lag.
        EXPECT_TRUE(eventually([&] { return terminal.output_contains("\r[live] 9000/9000"); }, 60s))
            << terminal.output();
        terminal.stop();
        EXPECT_TRUE(
            eventually([&] { return terminal.output_contains("Replication stopped"); }, 30s))
            << terminal.output();
        expect_clean_log_lines(terminal.output());
    }
    EXPECT_TRUE(converges(nullptr));
}

TEST_F(StatusApiTest, NoPasswordInStatusOrMetrics) {
    SKIP_UNLESS_OWN_SERVERS("needs its own testmongod --auth source");
    const std::string password = "Pa55w0rd-status";
    testsupport::ServerProcess source =
        testsupport::ServerProcess::start({"--auth", "--user", "admin:" + password});
    const std::string uri = "mongodb://admin:" + password +
                            "@127.0.0.1:" + std::to_string(source.port()) + "/?replicaSet=rs0";
    testsupport::Client client(uri);
    client.run_command(db_, R"({"insert": "c", "documents": [{"_id": 1}]})");
    sync_ = std::make_unique<TributaryProcess>(std::vector<std::string>{
        "sync", "--source", uri, "--destination", dest_server_.uri, "--db", db_, "--state-file",
        state_file_, "--status-addr", "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(phase_is("live")) << sync_->output();
    client.run_command(db_, R"({"insert": "c", "documents": [{"_id": 2}]})");
    ASSERT_TRUE(eventually([&] { return status()["events_applied"]["total"] == 1; }, 30s));
    for (const char* path : {"/status", "/metrics", "/healthz"}) {
        Answer answer = get(path);
        EXPECT_EQ(answer.status, 200) << path;
        EXPECT_EQ(answer.body.find(password), std::string::npos) << path << answer.body;
    }
    EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
    sync_.reset();
}

}  // namespace
