// libFuzzer target over the translation of change events into destination writes
// (replicate/change_event.h, write_model.h): any BSON document a server could send as a change
// event must parse and translate, or be refused with std::invalid_argument, never crash.
#include <bson/bson.h>

#include <cstdint>
#include <stdexcept>

#include "replicate/change_event.h"
#include "replicate/write_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    bson_t* document = bson_new_from_data(data, size);
    if (!document) return 0;
    if (bson_validate(document, BSON_VALIDATE_NONE, nullptr)) {
        try {
            auto event = tributary::replicate::ChangeEvent::parse(document);
            if (event.is_data_event()) tributary::replicate::translate(event);
        } catch (const std::invalid_argument&) {
        }
    }
    bson_destroy(document);
    return 0;
}
