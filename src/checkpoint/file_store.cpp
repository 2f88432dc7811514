// Checkpoint in a local file (--state-file): canonical extended JSON so every BSON type of a
// resume token or split point survives, written to a temporary file, fsynced, then renamed.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "checkpoint/checkpoint.h"

namespace tributary::checkpoint {

namespace {

std::runtime_error io_error(const std::string& what, const std::string& path) {
    return std::runtime_error("cannot " + what + " state file '" + path +
                              "': " + std::strerror(errno));
}

void write_all(int fd, const std::string& text, const std::string& path) {
    size_t written = 0;
    while (written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw io_error("write", path);
        written += static_cast<size_t>(n);
    }
}

// fsync of the directory makes the rename itself durable.
void sync_directory(const std::filesystem::path& file) {
    std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

// The document in `path` (canonical extended JSON); nullopt when the file does not exist.
std::optional<bson::Document> read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        if (errno == ENOENT) return std::nullopt;
        throw io_error("read", path);
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
        return bson::Document::from_json(text.str());
    } catch (const std::exception& error) {
        throw StateFileError("state file '" + path + "' is not valid JSON: " + error.what());
    }
}

// Writes `doc` to a temporary file, fsyncs it and renames it over `path`.
void write_json(const std::string& path, const bson_t* doc) {
    size_t length = 0;
    char* json = bson_as_canonical_extended_json(doc, &length);
    std::string text(json, length);
    bson_free(json);
    text += "\n";
    std::string temporary = path + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw io_error("create", temporary);
    try {
        write_all(fd, text, temporary);
        if (::fsync(fd) != 0) throw io_error("fsync", temporary);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) throw io_error("replace", path);
    sync_directory(path);
}

class FileStore : public Store {
  public:
    explicit FileStore(std::string path) : path_(std::move(path)) {}

    std::optional<State> load() override {
        std::optional<bson::Document> doc = read_json(path_);
        if (!doc) return std::nullopt;
        try {
            return State::from_bson(doc->view());
        } catch (const std::exception& error) {
            throw StateFileError("state file '" + path_ +
                                 "' is not a tributary checkpoint: " + error.what());
        }
    }

    // The whole file, whatever changed: one atomic rename keeps the run's fields and every
    // collection's state consistent. The Checkpoint saves progress at a bounded rate.
    void save(const State& state, const Changes& changes) override {
        if (!changes.empty()) write_json(path_, state.to_bson().view());
    }

    std::optional<bson::Document> load_request() override { return read_json(request_path()); }

    void save_request(const bson_t* request) override { write_json(request_path(), request); }

    void clear() override {
        for (const std::string& path : {path_, request_path()}) {
            if (std::remove(path.c_str()) != 0 && errno != ENOENT) throw io_error("remove", path);
        }
    }

    // PATH.lease, locked (flock) while this process runs and naming it: the system releases
    // the lock of a process that died, so a crashed holder's lease is taken over at once.
    std::optional<LeaseHolder> take_lease(const LeaseHolder& me, std::chrono::seconds) override {
        if (lease_fd_ >= 0) return std::nullopt;  // held: the lock lasts as long as the process
        const std::string path = path_ + ".lease";
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) throw io_error("create", path);
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            std::ifstream in(path);
            LeaseHolder other;
            in >> other.host >> other.pid >> other.since;
            ::close(fd);
            return other;
        }
        std::string text = me.host + " " + std::to_string(me.pid) + " " + me.since + "\n";
        if (::ftruncate(fd, 0) != 0) throw io_error("write", path);
        write_all(fd, text, path);
        lease_fd_ = fd;
        return std::nullopt;
    }

    void release_lease(const LeaseHolder&) override {
        if (lease_fd_ < 0) return;
        ::close(lease_fd_);  // releases the lock
        lease_fd_ = -1;
    }

    ~FileStore() override { release_lease({}); }

    std::string describe() const override { return "file " + path_; }

  private:
    std::string request_path() const { return path_ + ".finalize"; }
    std::string path_;
    int lease_fd_ = -1;
};

}  // namespace

std::unique_ptr<Store> open_file_store(const std::string& path) {
    return std::make_unique<FileStore>(path);
}

}  // namespace tributary::checkpoint
