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
};

void usage() {
    std::cerr << "usage: spec-runner FILE_OR_DIR... [--uri URI] [--skips FILE] [--verbose]\n"
                 "Without --uri, uses TRIBUTARY_TEST_SOURCE_URI or starts testmongod.\n";
}

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "--uri" || arg == "--skips") && i + 1 < argc) {
            (arg == "--uri" ? options.uri : options.skips) = argv[++i];
        } else if (arg == "--verbose" || arg == "-v") {
            options.verbose = true;
        } else if (arg.rfind("-", 0) == 0) {
            return std::nullopt;
        } else {
            options.inputs.push_back(arg);
        }
    }
    if (options.inputs.empty()) return std::nullopt;
    return options;
}

// Every .json file of the inputs, each with the name it is reported (and skipped) by: the
// folder's own name followed by the path inside it, e.g. "crud/find.json".
std::vector<std::pair<fs::path, std::string>> spec_files(const std::vector<std::string>& inputs) {
    std::vector<std::pair<fs::path, std::string>> files;
    for (const auto& input : inputs) {
        fs::path root = fs::path(input).lexically_normal();
        if (!fs::is_directory(root)) {
            files.emplace_back(root, root.generic_string());
            continue;
        }
        if (root.filename().empty()) root = root.parent_path();
        std::vector<fs::path> found;
        for (const auto& entry : fs::recursive_directory_iterator(root)) {
            if (entry.is_regular_file() && entry.path().extension() == ".json") {
                found.push_back(entry.path());
            }
        }
        std::sort(found.begin(), found.end());
        for (const auto& path : found) {
            files.emplace_back(path,
                               (root.filename() / path.lexically_relative(root)).generic_string());
        }
    }
    return files;
}

struct Totals {
    int passed = 0, failed = 0, skipped = 0;
};

void report_file(const std::string& name, const std::vector<spec::TestReport>& reports,
                 bool verbose, Totals& totals) {
    using Status = spec::TestReport::Status;
    Totals file;
    for (const auto& r : reports) {
        (r.status == Status::kPassed   ? file.passed
         : r.status == Status::kFailed ? file.failed
                                       : file.skipped)++;
    }
    std::cout << name << ": " << file.passed << " passed, " << file.failed << " failed, "
              << file.skipped << " skipped\n";
    for (const auto& r : reports) {
        if (r.status == Status::kFailed) {
            std::cout << "  FAILED " << r.description << ": " << r.reason << "\n";
        } else if (r.status == Status::kSkipped && verbose) {
            std::cout << "  skipped " << r.description << ": " << r.reason << "\n";
        }
    }
    totals.passed += file.passed;
    totals.failed += file.failed;
    totals.skipped += file.skipped;
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
    spec::FileRunner runner(uri, internal.get(), spec::describe_server(internal.get()), skips);

    Totals totals;
    for (const auto& [path, name] : spec_files(options.inputs)) {
        try {
            report_file(name, runner.run(path.string(), name), options.verbose, totals);
        } catch (const std::exception& error) {
            std::cout << name << ": cannot run: " << error.what() << "\n";
            totals.failed++;
        }
    }
    std::cout << totals.passed << " passed, " << totals.failed << " failed, " << totals.skipped
              << " skipped\n";
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
