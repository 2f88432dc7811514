// spec-runner: runs MongoDB's unified-format spec tests (JSON files or folders of them) with
// libmongoc against testmongod (started here) or the MongoDB named by --uri.
#include <mongoc/mongoc.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "entities.h"
#include "runner.h"
#include "skips.h"
#include "support/server_process.h"

namespace fs = std::filesystem;

namespace {

struct Options {
    std::vector<std::string> inputs;
    std::string uri;
    std::string skips = TRIBUTARY_SPEC_SKIPS;
    bool verbose = false;
    bool run_pending = false;
};

void usage() {
    std::cerr << "usage: spec-runner FILE_OR_DIR... [--uri URI] [--skips FILE] [--verbose] "
                 "[--run-pending]\n"
                 "Without --uri, uses TRIBUTARY_TEST_SOURCE_URI or starts testmongod.\n"
                 "--run-pending also runs the tests skips.txt lists as pending and fails those "
                 "that pass.\n";
}

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "--uri" || arg == "--skips") && i + 1 < argc) {
            (arg == "--uri" ? options.uri : options.skips) = argv[++i];
        } else if (arg == "--verbose" || arg == "-v") {
            options.verbose = true;
        } else if (arg == "--run-pending") {
            options.run_pending = true;
        } else if (arg.rfind("-", 0) == 0) {
            return std::nullopt;
        } else {
            options.inputs.push_back(arg);
        }
    }
    if (options.inputs.empty()) return std::nullopt;
    return options;
}

// An input as given, without a trailing '/': "crud/" is the folder "crud".
fs::path input_path(const std::string& input) {
    fs::path path = fs::path(input).lexically_normal();
    return path.filename().empty() ? path.parent_path() : path;
}

// Every .json file of an input, each with the name it is reported (and skipped) by: the
// folder's own name followed by the path inside it, e.g. "crud/find.json".
std::vector<std::pair<fs::path, std::string>> spec_files(const std::string& input) {
    fs::path root = input_path(input);
    if (!fs::is_directory(root)) return {{root, root.generic_string()}};
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
            found.push_back(entry.path());
        }
    }
    std::sort(found.begin(), found.end());
    std::vector<std::pair<fs::path, std::string>> files;
    for (const auto& path : found) {
        files.emplace_back(path,
                           (root.filename() / path.lexically_relative(root)).generic_string());
    }
    return files;
}

const std::string kListedPrefix = "skips.txt: ";

struct Totals {
    int passed = 0, failed = 0, skipped = 0, listed = 0, pending = 0;

    void count(const spec::TestReport& report) {
        using Status = spec::TestReport::Status;
        switch (report.status) {
            case Status::kPassed:
                ++passed;
                break;
            case Status::kFailed:
                ++failed;
                break;
            case Status::kSkipped:
                ++skipped;
                break;
            case Status::kListed:
                ++listed;
                if (spec::Skips::is_pending(report.reason.substr(kListedPrefix.size()))) ++pending;
                break;
        }
    }

    void add(const Totals& other) {
        passed += other.passed;
        failed += other.failed;
        skipped += other.skipped;
        listed += other.listed;
        pending += other.pending;
    }
};

std::ostream& operator<<(std::ostream& out, const Totals& totals) {
    return out << totals.passed << " passed, " << totals.failed << " failed, " << totals.skipped
               << " skipped by requirements or the runner, " << totals.listed
               << " skipped by skips.txt (" << totals.pending << " pending)";
}

Totals report_file(const std::string& name, const std::vector<spec::TestReport>& reports,
                   bool verbose) {
    using Status = spec::TestReport::Status;
    Totals file;
    for (const auto& r : reports)
        file.count(r);
    std::cout << name << ": " << file << "\n";
    for (const auto& r : reports) {
        if (r.status == Status::kFailed) {
            std::cout << "  FAILED " << r.description << ": " << r.reason << "\n";
        } else if (r.status != Status::kPassed && verbose) {
            std::cout << "  skipped " << r.description << ": " << r.reason << "\n";
        }
    }
    return file;
}

// Runs the files of one input (a spec folder or file) and prints its summary line.
Totals run_input(spec::FileRunner& runner, const std::string& input, bool verbose) {
    Totals totals;
    for (const auto& [path, name] : spec_files(input)) {
        try {
            totals.add(report_file(name, runner.run(path.string(), name), verbose));
        } catch (const std::exception& error) {
            std::cout << name << ": cannot run: " << error.what() << "\n";
            totals.failed++;
        }
    }
    std::cout << "== " << input_path(input).filename().generic_string() << ": " << totals << "\n";
    return totals;
}

int run(const Options& options) {
    spec::Skips skips = spec::Skips::load(options.skips);
    std::optional<testsupport::TestServer> server;
    std::string uri = options.uri;
    if (uri.empty()) {
        server = testsupport::source_uri_or_start();
        uri = server->uri;
    }
    spec::ClientPtr internal(mongoc_client_new(uri.c_str()));
    if (!internal) throw std::runtime_error("invalid URI " + uri);
    mongoc_client_set_error_api(internal.get(), MONGOC_ERROR_API_VERSION_2);
    spec::FileRunner runner(uri, internal.get(), spec::describe_server(internal.get()), skips,
                            options.run_pending);
    runner.terminate_open_transactions();

    Totals totals;
    for (const auto& input : options.inputs)
        totals.add(run_input(runner, input, options.verbose));
    if (options.inputs.size() > 1) std::cout << "== all: " << totals << "\n";
    return totals.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    auto options = parse(argc, argv);
    if (!options) {
        usage();
        return 2;
    }
    mongoc_init();
    int code = 2;
    try {
        code = run(*options);
    } catch (const std::exception& error) {
        std::cerr << "spec-runner: " << error.what() << "\n";
    }
    mongoc_cleanup();
    return code;
}
