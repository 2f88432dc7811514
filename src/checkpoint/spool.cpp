// The spool's two stores (checkpoint/spool.h).
#include "checkpoint/spool.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "mongo/bulk.h"
#include "mongo/collection.h"

namespace tributary::checkpoint {

namespace {

// zlib's CRC-32 of an event's bytes, the record's checksum.
uint32_t crc32_of(const uint8_t* data, size_t size) {
    return static_cast<uint32_t>(::crc32(::crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size)));
}

class FileSpool : public Spool {
  public:
    explicit FileSpool(std::string path) : path_(std::move(path)) {}

    // The entries before `count` were fsynced before the checkpoint counted them: only their
    // lengths are read.
    void truncate(int64_t count) override {
        int64_t records = 0;
        const int64_t offset = scan(
            count, [](const bson::Document&) { return false; }, &records);
        if (records < count) throw SpoolDamaged(spool_damaged_message(*this, records, count));
        if (::truncate(path_.c_str(), offset) != 0 && errno != ENOENT) fail("truncate");
    }

    void append(int64_t, const std::vector<bson::Document>& events) override {
        std::string records;
        for (const bson::Document& event : events) {
            const uint32_t header[2] = {event.size(),
                                        crc32_of(bson_get_data(event.view()), event.size())};
            records.append(reinterpret_cast<const char*>(header), sizeof header);
            records.append(reinterpret_cast<const char*>(bson_get_data(event.view())),
                           event.size());
        }
        const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd < 0) fail("open");
        size_t written = 0;
        while (written < records.size()) {
            ssize_t n = ::write(fd, records.data() + written, records.size() - written);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                ::close(fd);
                fail("write");
            }
            written += static_cast<size_t>(n);
        }
        const bool synced = ::fsync(fd) == 0;
        ::close(fd);
        if (!synced) fail("fsync");
    }

    void read(int64_t from, int64_t end,
              const std::function<bool(const bson::Document&)>& each) override {
        int64_t number = from;
        scan(from, [&](const bson::Document& event) { return number++ < end && each(event); });
    }

    void clear() override {
        if (::unlink(path_.c_str()) != 0 && errno != ENOENT) fail("remove");
    }
    std::string describe() const override { return "file " + path_; }

  private:
    [[noreturn]] void fail(const char* what) const {
        throw std::runtime_error(std::string("cannot ") + what + " spool file '" + path_ +
                                 "': " + std::strerror(errno));
    }

    // Skips the first `skip` records (by their lengths), then calls visit(event) for each whole
    // record whose checksum holds, until it returns false or a record is torn or damaged.
    // Returns the offset after the last record skipped or visited, and in `records` their number.
    int64_t scan(int64_t skip, const std::function<bool(const bson::Document&)>& visit,
                 int64_t* records = nullptr) const {
        if (records) *records = 0;
        const int fd = ::open(path_.c_str(), O_RDONLY);
        if (fd < 0) {
            if (errno == ENOENT) return 0;
            fail("open");
        }
        std::vector<uint8_t> body;
        int64_t offset = 0;
        for (int64_t number = 0;; ++number) {
            uint32_t header[2];
            if (::pread(fd, header, sizeof header, offset) != ssize_t(sizeof header)) break;
            const int64_t next = offset + int64_t(sizeof header) + header[0];
            if (number < skip) {
                offset = next;
                if (records) *records = number + 1;
                continue;
            }
            body.resize(header[0]);
            if (::pread(fd, body.data(), body.size(), offset + int64_t(sizeof header)) !=
                    ssize_t(body.size()) ||
                crc32_of(body.data(), body.size()) != header[1]) {
                break;
            }
            bson_t* event = bson_new_from_data(body.data(), body.size());
            if (event == nullptr || !visit(bson::Document(event))) break;
            offset = next;
            if (records) *records = number + 1;
        }
        ::close(fd);
        return offset;
    }

    std::string path_;
};

class DestinationSpool : public Spool {
  public:
    DestinationSpool(mongo::ClientPool& pool, std::string state_db)
        : pool_(pool), state_db_(std::move(state_db)) {}

    void truncate(int64_t count) override {
        mongo::ClientLease client = pool_.lease();
        bson::Document filter(BCON_NEW("_id", "{", "$gte", BCON_INT64(count), "}"));
        bson::Document majority(BCON_NEW("writeConcern", "{", "w", BCON_UTF8("majority"), "}"));
        bson_error_t error;
        if (!mongoc_collection_delete_many(collection(client.get()).get(), filter.view(),
                                           majority.view(), nullptr, &error)) {
            throw mongo::Error::from(error);
        }
    }

    void append(int64_t first, const std::vector<bson::Document>& events) override {
        mongo::ClientLease client = pool_.lease();
        mongo::BulkWrite bulk(collection(client.get()), true);
        int64_t number = first;
        for (const bson::Document& event : events) {
            bson::Document entry(BCON_NEW("_id", BCON_INT64(number++)));
            BSON_APPEND_DOCUMENT(entry.get(), "event", event.view());
            bulk.insert(entry.view());
        }
        mongo::BulkResult result = bulk.execute();
        if (!result.ok()) {
            throw std::runtime_error("cannot write the spool in " + describe() + ": " +
                                     result.errors.front().message);
        }
    }

    void read(int64_t from, int64_t end,
              const std::function<bool(const bson::Document&)>& each) override {
        mongo::ClientLease client = pool_.lease();
        bson::Document filter(
            BCON_NEW("_id", "{", "$gte", BCON_INT64(from), "$lt", BCON_INT64(end), "}"));
        bson::Document opts(BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}"));
        mongo::Cursor cursor = collection(client.get()).find(filter.view(), opts.view());
        while (const bson_t* entry = cursor.next()) {
            bson_iter_t iter;
            if (!bson_iter_init_find(&iter, entry, "event")) continue;
            bson::Document event = bson::Document::copy_of_subdocument(iter);
            if (!each(event)) return;
        }
    }

    void clear() override {
        mongo::ClientLease client = pool_.lease();
        collection(client.get()).drop();
    }
    std::string describe() const override { return state_db_ + "." + kSpoolCollection; }

  private:
    // The spool collection, written with majority write concern.
    mongo::Collection collection(mongoc_client_t* client) const {
        mongo::Collection coll(client, state_db_, kSpoolCollection);
        mongoc_write_concern_t* concern = mongoc_write_concern_new();
        mongoc_write_concern_set_w(concern, MONGOC_WRITE_CONCERN_W_MAJORITY);
        mongoc_collection_set_write_concern(coll.get(), concern);
        mongoc_write_concern_destroy(concern);
        return coll;
    }

    mongo::ClientPool& pool_;
    std::string state_db_;
};

}  // namespace

std::string spool_damaged_message(const Spool& spool, int64_t held, int64_t counted) {
    return "the spool " + spool.describe() + " holds " + std::to_string(held) + " of the " +
           std::to_string(counted) +
           " change events the checkpoint counts: it was damaged, moved or removed since; put it "
           "back, or rerun with --reset-state to copy again";
}

std::unique_ptr<Spool> open_file_spool(const std::string& state_file) {
    return std::make_unique<FileSpool>(state_file + ".spool");
}

std::unique_ptr<Spool> open_destination_spool(mongo::ClientPool& destination,
                                              const std::string& state_db) {
    return std::make_unique<DestinationSpool>(destination, state_db);
}

}  // namespace tributary::checkpoint
