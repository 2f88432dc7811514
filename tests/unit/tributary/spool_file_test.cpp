// The file spool (--state-file PATH -> PATH.spool): entries read back in order, a torn or
// damaged record at the end (a crash while appending) cut off, truncation to a saved count.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "checkpoint/spool.h"

namespace {

using tributary::bson::Document;

class FileSpoolTest : public testing::Test {
  protected:
    void TearDown() override { std::filesystem::remove(path_ + ".spool"); }

    std::vector<Document> events(int first, int count) {
        std::vector<Document> result;
        for (int n = first; n < first + count; ++n)
            result.push_back(Document::from_json(R"({"n": )" + std::to_string(n) + "}"));
        return result;
    }
    // The "n" of each entry read from `from` on.
    std::vector<int> read_all(tributary::checkpoint::Spool& spool, int64_t from = 0) {
        std::vector<int> numbers;
        spool.read(from, 1000, [&](const Document& event) {
            bson_iter_t iter;
            if (bson_iter_init_find(&iter, event.view(), "n"))
                numbers.push_back(bson_iter_int32(&iter));
            return true;
        });
        return numbers;
    }
    void append_raw(const std::string& bytes) {
        std::ofstream out(path_ + ".spool", std::ios::binary | std::ios::app);
        out << bytes;
    }

    std::string path_ =
        (std::filesystem::temp_directory_path() / ("spool_test_" + std::to_string(::getpid())))
            .string();
};

TEST_F(FileSpoolTest, ReadsEntriesInOrderFromAnyNumber) {
    auto spool = tributary::checkpoint::open_file_spool(path_);
    spool->append(0, events(0, 3));
    spool->append(3, events(3, 2));
    EXPECT_EQ(read_all(*spool), (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(read_all(*spool, 3), (std::vector<int>{3, 4}));
}

TEST_F(FileSpoolTest, ATornRecordAtTheEndIsCutOff) {
    auto spool = tributary::checkpoint::open_file_spool(path_);
    spool->append(0, events(0, 2));
    append_raw(std::string("\x40\x00\x00\x00\x12\x34", 6));  // a header half written
    EXPECT_EQ(read_all(*spool), (std::vector<int>{0, 1}));
    spool->truncate(2);  // the reader's saved count
    spool->append(2, events(2, 1));
    EXPECT_EQ(read_all(*spool), (std::vector<int>{0, 1, 2}));
}

TEST_F(FileSpoolTest, ADamagedRecordEndsTheSpool) {
    auto spool = tributary::checkpoint::open_file_spool(path_);
    spool->append(0, events(0, 2));
    {
        std::fstream file(path_ + ".spool", std::ios::binary | std::ios::in | std::ios::out);
        file.seekp(-3, std::ios::end);  // inside the last record's BSON
        file.put('\x7f');
    }
    EXPECT_EQ(read_all(*spool), (std::vector<int>{0})) << "its checksum no longer holds";
}

TEST_F(FileSpoolTest, TruncateRemovesWhatARunWroteAfterItsSavedCount) {
    auto spool = tributary::checkpoint::open_file_spool(path_);
    spool->append(0, events(0, 4));
    spool->truncate(1);
    spool->append(1, events(10, 1));
    EXPECT_EQ(read_all(*spool), (std::vector<int>{0, 10}));
    spool->clear();
    EXPECT_TRUE(read_all(*spool).empty());
}

}  // namespace
