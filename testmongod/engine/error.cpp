#include "engine/error.h"

#include <unordered_map>

namespace tmd {

std::string code_name(int value) {
    static const std::unordered_map<int, std::string> names = {
        {code::InternalError, "InternalError"},
        {code::BadValue, "BadValue"},
        {code::NoSuchKey, "NoSuchKey"},
        {code::UserNotFound, "UserNotFound"},
        {code::Unauthorized, "Unauthorized"},
        {code::ProtocolError, "ProtocolError"},
        {code::AuthenticationFailed, "AuthenticationFailed"},
        {code::RoleNotFound, "RoleNotFound"},
        {code::MechanismUnavailable, "MechanismUnavailable"},
        {code::FailedToParse, "FailedToParse"},
        {code::TypeMismatch, "TypeMismatch"},
        {code::InvalidLength, "InvalidLength"},
        {code::IllegalOperation, "IllegalOperation"},
        {code::NamespaceNotFound, "NamespaceNotFound"},
        {code::IndexNotFound, "IndexNotFound"},
        {code::PathNotViable, "PathNotViable"},
        {code::ConflictingUpdateOperators, "ConflictingUpdateOperators"},
        {code::CursorNotFound, "CursorNotFound"},
        {code::NamespaceExists, "NamespaceExists"},
        {code::MaxTimeMSExpired, "MaxTimeMSExpired"},
        {code::DollarPrefixedFieldName, "DollarPrefixedFieldName"},
        {code::InvalidIdField, "InvalidIdField"},
        {code::NotSingleValueField, "NotSingleValueField"},
        {code::EmptyFieldName, "EmptyFieldName"},
        {code::DottedFieldName, "DottedFieldName"},
        {code::CommandNotFound, "CommandNotFound"},
        {code::ImmutableField, "ImmutableField"},
        {code::CannotCreateIndex, "CannotCreateIndex"},
        {code::IndexAlreadyExists, "IndexAlreadyExists"},
        {code::InvalidOptions, "InvalidOptions"},
        {code::InvalidNamespace, "InvalidNamespace"},
        {code::UnknownReplWriteConcern, "UnknownReplWriteConcern"},
        {code::IndexOptionsConflict, "IndexOptionsConflict"},
        {code::IndexKeySpecsConflict, "IndexKeySpecsConflict"},
        {code::UnsatisfiableWriteConcern, "UnsatisfiableWriteConcern"},
        {code::CappedPositionLost, "CappedPositionLost"},
        {code::InvalidPipelineOperator, "InvalidPipelineOperator"},
        {code::CommandNotSupportedOnView, "CommandNotSupportedOnView"},
        {code::OptionNotSupportedOnView, "OptionNotSupportedOnView"},
        {code::AmbiguousIndexKeyPattern, "AmbiguousIndexKeyPattern"},
        {code::InvalidIndexSpecificationOption, "InvalidIndexSpecificationOption"},
        {code::ChangeStreamFatalError, "ChangeStreamFatalError"},
        {code::ChangeStreamHistoryLost, "ChangeStreamHistoryLost"},
        {code::CannotConvertIndexToUnique, "CannotConvertIndexToUnique"},
        {code::SearchNotEnabled, "SearchNotEnabled"},
        {code::DuplicateKey, "DuplicateKey"},
        {code::DocumentValidationFailure, "DocumentValidationFailure"},
        {code::UnknownError, "UnknownError"},
        {code::WriteConflict, "WriteConflict"},
        {code::ConflictingOperationInProgress, "ConflictingOperationInProgress"},
        {code::TransactionTooOld, "TransactionTooOld"},
        {code::SnapshotTooOld, "SnapshotTooOld"},
        {code::SnapshotUnavailable, "SnapshotUnavailable"},
        {code::NoSuchTransaction, "NoSuchTransaction"},
        {code::TransactionCommitted, "TransactionCommitted"},
        {code::OperationNotSupportedInTransaction, "OperationNotSupportedInTransaction"},
    };
    auto it = names.find(value);
    return it != names.end() ? it->second : "Location" + std::to_string(value);
}

}  // namespace tmd
