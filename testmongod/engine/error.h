// MongoError: the one error type of testmongod. Commands throw it; the dispatcher turns it into
// {ok: 0, errmsg, code, codeName} exactly as mongod replies.
#pragma once

#include <exception>
#include <string>

namespace tmd {

// Codes from mongod's src/mongo/base/error_codes.yml (names returned by code_name()).
namespace code {
constexpr int InternalError = 1;
constexpr int BadValue = 2;
constexpr int NoSuchKey = 4;
constexpr int UserNotFound = 11;
constexpr int Unauthorized = 13;
constexpr int ProtocolError = 17;
constexpr int AuthenticationFailed = 18;
constexpr int RoleNotFound = 31;
constexpr int MechanismUnavailable = 334;
constexpr int FailedToParse = 9;
constexpr int TypeMismatch = 14;
constexpr int InvalidLength = 16;
constexpr int IllegalOperation = 20;
constexpr int NamespaceNotFound = 26;
constexpr int IndexNotFound = 27;
constexpr int PathNotViable = 28;
constexpr int ConflictingUpdateOperators = 40;
constexpr int CursorNotFound = 43;
constexpr int NamespaceExists = 48;
constexpr int MaxTimeMSExpired = 50;
constexpr int DollarPrefixedFieldName = 52;
constexpr int InvalidIdField = 53;
constexpr int NotSingleValueField = 54;
constexpr int EmptyFieldName = 56;
constexpr int DottedFieldName = 57;
constexpr int CommandNotFound = 59;
constexpr int ImmutableField = 66;
constexpr int CannotCreateIndex = 67;
constexpr int IndexAlreadyExists = 68;
constexpr int InvalidOptions = 72;
constexpr int InvalidNamespace = 73;
constexpr int UnknownReplWriteConcern = 79;
constexpr int IndexOptionsConflict = 85;
constexpr int IndexKeySpecsConflict = 86;
constexpr int UnsatisfiableWriteConcern = 100;
constexpr int CappedPositionLost = 136;
constexpr int InvalidPipelineOperator = 168;
constexpr int CommandNotSupportedOnView = 166;
constexpr int OptionNotSupportedOnView = 167;
constexpr int AmbiguousIndexKeyPattern = 181;
constexpr int InvalidIndexSpecificationOption = 197;
constexpr int ChangeStreamFatalError = 280;
constexpr int ChangeStreamHistoryLost = 286;
constexpr int CannotConvertIndexToUnique = 359;
constexpr int SearchNotEnabled = 31082;
constexpr int Location10334 = 10334;  // BSONObj size invalid
constexpr int DuplicateKey = 11000;
constexpr int DocumentValidationFailure = 121;
constexpr int Location40324 = 40324;  // Unrecognized pipeline stage name
constexpr int Location40415 = 40415;  // unknown field in an IDL-parsed command
constexpr int UnknownError = 8;
constexpr int WriteConflict = 112;
constexpr int ConflictingOperationInProgress = 117;
constexpr int TransactionTooOld = 225;
constexpr int SnapshotTooOld = 239;
constexpr int SnapshotUnavailable = 246;
constexpr int NoSuchTransaction = 251;
constexpr int TransactionCommitted = 256;
constexpr int OperationNotSupportedInTransaction = 263;
// The network, shutdown, not-primary, interruption and timeout codes drivers retry on, which the
// spec tests inject with failCommand.
constexpr int HostUnreachable = 6;
constexpr int HostNotFound = 7;
constexpr int LockTimeout = 24;
constexpr int WriteConcernFailed = 64;  // 7.0's name (WriteConcernTimeout from 8.1)
constexpr int NetworkTimeout = 89;
constexpr int ShutdownInProgress = 91;
constexpr int FailedToSatisfyReadPreference = 133;
constexpr int StaleEpoch = 150;
constexpr int PrimarySteppedDown = 189;
constexpr int ElectionInProgress = 216;
constexpr int RetryChangeStream = 234;
constexpr int ExceededTimeLimit = 262;
constexpr int TransactionExceededLifetimeLimitSeconds = 290;
constexpr int SocketException = 9001;
constexpr int NotWritablePrimary = 10107;
constexpr int InterruptedAtShutdown = 11600;
constexpr int Interrupted = 11601;
constexpr int InterruptedDueToReplStateChange = 11602;
constexpr int StaleConfig = 13388;
constexpr int NotPrimaryNoSecondaryOk = 13435;
constexpr int NotPrimaryOrSecondary = 13436;
}  // namespace code

// The codeName mongod sends for a code; "Location<code>" for codes without a name.
std::string code_name(int code);

class MongoError : public std::exception {
  public:
    MongoError(int code, std::string message) : code_(code), message_(std::move(message)) {}
    int code() const { return code_; }
    const std::string& message() const { return message_; }
    const char* what() const noexcept override { return message_.c_str(); }

  private:
    int code_;
    std::string message_;
};

[[noreturn]] inline void bad_value(const std::string& message) {
    throw MongoError(code::BadValue, message);
}

}  // namespace tmd
