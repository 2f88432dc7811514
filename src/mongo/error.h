// The error type of tributary's MongoDB layer: a libmongoc failure as a value with domain, code,
// error labels and message, plus the classification the CLI needs to choose an exit code.
#pragma once

#include <bson/bson.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace tributary::mongo {

// Server error codes tributary reacts to (MongoDB's error_codes.yml).
namespace codes {
inline constexpr uint32_t kNamespaceNotFound = 26;
inline constexpr uint32_t kAuthenticationFailed = 18;
inline constexpr uint32_t kUnauthorized = 13;
inline constexpr uint32_t kDuplicateKey = 11000;
inline constexpr uint32_t kChangeStreamHistoryLost = 286;
inline constexpr uint32_t kCappedPositionLost = 136;
inline constexpr uint32_t kNamespaceExists = 48;
inline constexpr uint32_t kIndexNotFound = 27;
inline constexpr uint32_t kCommandNotFound = 59;
inline constexpr uint32_t kBadValue = 2;
inline constexpr uint32_t kTypeMismatch = 14;
inline constexpr uint32_t kPathNotViable = 28;
inline constexpr uint32_t kBSONObjectTooLarge = 10334;
inline constexpr uint32_t kUpdatedDocumentTooLarge = 17419;  // before 7.0: BSONObjectTooLarge
inline constexpr uint32_t kQueryPlanKilled = 175;
inline constexpr uint32_t kCannotConvertIndexToUnique = 359;
}  // namespace codes

// Which deployment a failure came from, where the caller knows it: a failed source read must
// not be reported as the destination rejecting writes.
enum class Side { kUnknown, kSource, kDestination };

class Error : public std::runtime_error {
  public:
    Error(uint32_t domain, uint32_t code, std::string message,
          std::vector<std::string> labels = {});
    // Builds an Error from libmongoc's out-parameters; `reply` (may be null) supplies errorLabels.
    static Error from(const bson_error_t& error, const bson_t* reply = nullptr);

    uint32_t domain() const { return domain_; }
    uint32_t code() const { return code_; }
    const std::vector<std::string>& labels() const { return labels_; }
    bool has_label(const std::string& label) const;
    Side side() const { return side_; }
    void set_side(Side side) { side_ = side; }

    // Server selection / socket / DNS failure: the deployment could not be reached.
    bool is_connection_failure() const;
    bool is_auth_failure() const;
    // The change stream's resume point is no longer in the source's oplog.
    // ChangeStreamHistoryLost, or CappedPositionLost: the oplog's truncation overtook a running
    // stream, which no resume can cure (change-streams spec, "Resumable Error" excludes it).
    bool is_history_lost() const {
        return code_ == codes::kChangeStreamHistoryLost || code_ == codes::kCappedPositionLost;
    }
    // Worth retrying after reconnecting (ResumableChangeStreamError / network errors).
    bool is_transient() const;

  private:
    uint32_t domain_;
    uint32_t code_;
    std::vector<std::string> labels_;
    Side side_ = Side::kUnknown;
};

// Runs `read` (reads from the source) and marks an Error it throws as the source's.
template <typename Read>
auto reading_source(Read&& read) -> decltype(read()) {
    try {
        return read();
    } catch (Error& error) {
        error.set_side(Side::kSource);
        throw;
    }
}

}  // namespace tributary::mongo
