// Date expression operators: $year $month $dayOfMonth $dayOfYear $dayOfWeek $hour $minute $second
// $millisecond $week $isoWeek $isoWeekYear $isoDayOfWeek $dateToString $dateFromParts and
// $dateFromString, in UTC or a fixed offset zone ("+05:30"); Olson names but UTC/GMT are rejected.
#include <cctype>
#include <chrono>
#include <cstdio>

#include "engine/expression_internal.h"

namespace tmd::expr {
namespace {

using namespace std::chrono;

// Milliseconds since the epoch of a date, timestamp or ObjectId (mongod's Value::coerceToDate).
int64_t to_millis(const Value& v, const std::string& op) {
    switch (v.type()) {
        case BSON_TYPE_DATE_TIME:
            return std::get<int64_t>(v.payload());
        case BSON_TYPE_TIMESTAMP:
            return int64_t(std::get<Timestamp>(v.payload()).t) * 1000;
        case BSON_TYPE_OID:
            return int64_t(bson_oid_get_time_t(&std::get<bson_oid_t>(v.payload()))) * 1000;
        default:
            fail(16006, op + ": can't convert from BSON type " + type_name(v) + " to Date");
    }
}

// Offset in minutes of a time zone argument.
int zone_offset_minutes(const Value& zone) {
    if (!zone.is_string())
        fail(40517, "timezone must evaluate to a string, found " + type_name(zone));
    const std::string& z = zone.str();
    if (z == "UTC" || z == "GMT" || z == "Z" || z == "Etc/UTC" || z == "Etc/GMT") return 0;
    int hours = 0, minutes = 0;
    char sign = z.empty() ? ' ' : z[0];
    bool parsed = (sign == '+' || sign == '-') &&
                  (std::sscanf(z.c_str() + 1, "%2d:%2d", &hours, &minutes) == 2 ||
                   std::sscanf(z.c_str() + 1, "%2d%2d", &hours, &minutes) == 2 ||
                   (z.size() == 3 && std::sscanf(z.c_str() + 1, "%2d", &hours) == 1));
    if (!parsed) fail(40485, "unrecognized time zone identifier: \"" + z + "\"");
    return (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
}

// The calendar fields of an instant in a zone.
struct Civil {
    int year, month, day, hour, minute, second, millis;
    int day_of_year;  // 1..366
    int day_of_week;  // 1 (Sunday)..7
    int iso_week, iso_year, iso_day_of_week;
    int week;  // 0..53, weeks starting Sunday (%U)
    int offset_minutes;
};

Civil civil_of(int64_t millis, int offset_minutes) {
    int64_t local = millis + int64_t(offset_minutes) * 60000;
    auto time = sys_time<milliseconds>(milliseconds(local));
    auto day = floor<days>(time);
    year_month_day ymd(day);
    hh_mm_ss<milliseconds> clock(time - day);
    Civil c{};
    c.year = int(ymd.year());
    c.month = int(unsigned(ymd.month()));
    c.day = int(unsigned(ymd.day()));
    c.hour = int(clock.hours().count());
    c.minute = int(clock.minutes().count());
    c.second = int(clock.seconds().count());
    c.millis = int(clock.subseconds().count());
    c.day_of_year = int((day - sys_days(ymd.year() / January / 1)).count()) + 1;
    weekday wd(day);
    c.day_of_week = int(wd.c_encoding()) + 1;
    c.iso_day_of_week = int(wd.iso_encoding());
    c.week = (c.day_of_year + 6 - int(wd.c_encoding())) / 7;
    // ISO week: the week (Monday-based) containing the Thursday of this week.
    sys_days thursday = day + days(4 - c.iso_day_of_week);
    year_month_day thursday_ymd(thursday);
    c.iso_year = int(thursday_ymd.year());
    c.iso_week = int((thursday - sys_days(thursday_ymd.year() / January / 1)).count()) / 7 + 1;
    c.offset_minutes = offset_minutes;
    return c;
}

// Arguments of a date part operator: <date> or {date, timezone}.
NodePtr parse_date_part(const std::string& op, const Value& args, ParseScope& scope,
                        std::function<int(const Civil&)> part) {
    NodeList nodes;
    if (args.is_document() && !args.doc().empty() && args.doc().fields().front().name[0] != '$') {
        reject_unknown_args(args.doc(), {"date", "timezone"}, 40535,
                            "unrecognized option to " + op + ": ");
        const Value* date = args.doc().get("date");
        if (!date)
            fail(40539, "missing 'date' argument to " + op + ", provided: " + args.doc().to_json());
        nodes.push_back(parse(*date, scope));
        if (const Value* zone = args.doc().get("timezone")) nodes.push_back(parse(*zone, scope));
    } else {
        nodes = parse_operands(args, scope);
        if (nodes.size() != 1) {
            fail(40536, op + " accepts exactly one argument if given an array, but was given " +
                            std::to_string(nodes.size()));
        }
    }
    return make_function(std::move(nodes), [op, part](const std::vector<Value>& a) {
        if (is_nullish(a[0]) || (a.size() > 1 && is_nullish(a[1]))) return Value::null();
        int offset = a.size() > 1 ? zone_offset_minutes(a[1]) : 0;
        return Value::int32(part(civil_of(to_millis(a[0], op), offset)));
    });
}

std::string two_digits(int v, int width = 2) {
    char text[16];
    std::snprintf(text, sizeof text, "%0*d", width, v);
    return text;
}

std::string format_date(const std::string& format, const Civil& c) {
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') {
            out += format[i];
            continue;
        }
        if (i + 1 == format.size()) fail(18535, "Unmatched '%' at end of format string");
        char spec = format[++i];
        switch (spec) {
            case 'd':
                out += two_digits(c.day);
                break;
            case 'G':
                out += two_digits(c.iso_year, 4);
                break;
            case 'H':
                out += two_digits(c.hour);
                break;
            case 'j':
                out += two_digits(c.day_of_year, 3);
                break;
            case 'L':
                out += two_digits(c.millis, 3);
                break;
            case 'm':
                out += two_digits(c.month);
                break;
            case 'M':
                out += two_digits(c.minute);
                break;
            case 'S':
                out += two_digits(c.second);
                break;
            case 'u':
                out += std::to_string(c.iso_day_of_week);
                break;
            case 'U':
                out += two_digits(c.week);
                break;
            case 'V':
                out += two_digits(c.iso_week);
                break;
            case 'w':
                out += std::to_string(c.day_of_week);
                break;
            case 'Y':
                out += two_digits(c.year, 4);
                break;
            case 'z': {
                int m = std::abs(c.offset_minutes);
                out += (c.offset_minutes < 0 ? "-" : "+") + two_digits(m / 60) + two_digits(m % 60);
                break;
            }
            case 'Z':
                out += std::to_string(c.offset_minutes);
                break;
            case '%':
                out += '%';
                break;
            default:
                fail(18536,
                     std::string("Invalid format character '%") + spec + "' in format string");
        }
    }
    return out;
}

NodePtr parse_date_to_string(const Value& args, ParseScope& scope) {
    if (!args.is_document()) fail(18629, "$dateToString only supports an object as its argument");
    const Document& spec = args.doc();
    reject_unknown_args(spec, {"date", "format", "timezone", "onNull"}, 18534,
                        "Unrecognized parameter to $dateToString: ");
    const Value* date = spec.get("date");
    if (!date) fail(18628, "Missing 'date' parameter to $dateToString");
    auto optional = [&](std::string_view name) {
        const Value* v = spec.get(name);
        return v ? parse(*v, scope) : make_constant(missing_value());
    };
    NodeList nodes{parse(*date, scope), optional("format"), optional("timezone"),
                   optional("onNull")};
    if (const Value* format = spec.get("format"); format && format->is_string()) {
        format_date(format->str(), civil_of(0, 0));  // validates the format at parse time
    }
    return make_function(std::move(nodes), [](const std::vector<Value>& a) {
        const Value& format = a[1];
        if (!is_missing(format) && !format.is_null() && !format.is_string()) {
            fail(18533, "$dateToString requires that 'format' be a string, found: " +
                            type_name(format) + " with value " + show(format));
        }
        if (is_nullish(a[0])) return is_missing(a[3]) ? Value::null() : a[3];
        if (format.is_null() || (!is_missing(a[2]) && is_nullish(a[2]))) return Value::null();
        int offset = is_missing(a[2]) ? 0 : zone_offset_minutes(a[2]);
        std::string pattern = is_missing(format) ? "%Y-%m-%dT%H:%M:%S.%LZ" : format.str();
        return Value::string(
            format_date(pattern, civil_of(to_millis(a[0], "$dateToString"), offset)));
    });
}

// Milliseconds since the epoch of calendar fields that may overflow their ranges (month 14 is
// February of the next year, day 0 the last day of the previous month), as $dateFromParts allows.
int64_t millis_from_parts(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                          int64_t second, int64_t millis) {
    int64_t months = year * 12 + (month - 1);
    int64_t y = months >= 0 ? months / 12 : (months - 11) / 12;
    auto m = static_cast<unsigned>(months - y * 12 + 1);
    sys_days first = sys_days(std::chrono::year(int(y)) / std::chrono::month(m) / 1);
    int64_t days_since_epoch = first.time_since_epoch().count() + (day - 1);
    return (((days_since_epoch * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millis;
}

// The Monday starting ISO week 1 of an ISO week-numbering year.
int64_t iso_year_start_days(int64_t iso_year) {
    sys_days january4 = sys_days(std::chrono::year(int(iso_year)) / January / 4);
    return (january4 - days(weekday(january4).iso_encoding() - 1)).time_since_epoch().count();
}

int64_t part_value(const std::string& name, const Value& v, int64_t min, int64_t max) {
    if (!is_integral(v)) {
        fail(40515, "'" + name + "' must evaluate to an integer, found " + type_name(v) +
                        " with value " + show(v));
    }
    int64_t x = v.as_int64();
    if (x < min || x > max) {
        if (name == "year" || name == "isoWeekYear") {
            fail(40523, "'" + name +
                            "' must evaluate to an integer in the range 1 to 9999, found " +
                            std::to_string(x));
        }
        fail(31034, "'" + name + "' must evaluate to a value in the range [-32768, 32767]; value " +
                        std::to_string(x) + " is not in range");
    }
    return x;
}

NodePtr parse_date_from_parts(const Value& args, ParseScope& scope) {
    if (!args.is_document()) {
        fail(40519, "$dateFromParts only supports an object as its argument");
    }
    static const std::vector<std::string_view> calendar = {"year",   "month",  "day",        "hour",
                                                           "minute", "second", "millisecond"};
    static const std::vector<std::string_view> iso = {
        "isoWeekYear", "isoWeek", "isoDayOfWeek", "hour", "minute", "second", "millisecond"};
    const Document& spec = args.doc();
    bool is_iso = spec.get("isoWeekYear") != nullptr;
    if (is_iso && spec.get("year")) {
        fail(40489, "$dateFromParts does not allow mixing natural dates with ISO dates");
    }
    if (!is_iso && !spec.get("year")) {
        fail(40516, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present");
    }
    const auto& names = is_iso ? iso : calendar;
    std::vector<std::string_view> allowed(names.begin(), names.end());
    allowed.push_back("timezone");
    reject_unknown_args(spec, allowed, 40518, "Unrecognized argument to $dateFromParts: ");
    NodeList nodes;
    for (size_t i = 0; i < names.size(); ++i) {
        const Value* v = spec.get(names[i]);
        // Unspecified parts default to the start of their range: month/day/isoWeek/... 1, time 0.
        nodes.push_back(v ? parse(*v, scope) : make_constant(Value::int32(i < 3 ? 1 : 0)));
    }
    const Value* zone = spec.get("timezone");
    nodes.push_back(zone ? parse(*zone, scope) : make_constant(Value::string("UTC")));
    return make_function(std::move(nodes), [names, is_iso](const std::vector<Value>& a) {
        for (const Value& v : a) {
            if (is_nullish(v)) return Value::null();
        }
        std::vector<int64_t> parts;
        for (size_t i = 0; i < names.size(); ++i) {
            bool year = i == 0;
            parts.push_back(
                part_value(std::string(names[i]), a[i], year ? 1 : -32768, year ? 9999 : 32767));
        }
        int64_t local = 0;
        if (is_iso) {
            int64_t day = iso_year_start_days(parts[0]) + (parts[1] - 1) * 7 + (parts[2] - 1);
            local = millis_from_parts(1970, 1, day + 1, parts[3], parts[4], parts[5], parts[6]);
        } else {
            local = millis_from_parts(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5],
                                      parts[6]);
        }
        return Value::date(local - int64_t(zone_offset_minutes(a.back())) * 60000);
    });
}

// Reads `width` digits (at most; at least one) at `pos` into `out`.
bool read_number(const std::string& text, size_t& pos, size_t width, int64_t& out) {
    size_t start = pos;
    out = 0;
    while (pos < text.size() && pos - start < width &&
           std::isdigit(static_cast<unsigned char>(text[pos]))) {
        out = out * 10 + (text[pos++] - '0');
    }
    return pos > start;
}

// Reads a zone at `pos`: "+hh:mm"/"+hhmm" (%z) or signed minutes (%Z).
bool read_zone(const std::string& text, size_t& pos, bool minutes, int& offset_minutes) {
    size_t end = pos;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '+' || text[end] == '-' || text[end] == ':')) {
        ++end;
    }
    std::string zone = text.substr(pos, end - pos);
    pos = end;
    try {
        offset_minutes = minutes ? std::stoi(zone) : zone_offset_minutes(Value::string(zone));
    } catch (const std::exception&) {  // std::stoi's or an unrecognised zone's error
        return false;
    }
    return true;
}

// Parses `text` laid out as `format` (%Y %m %d %H %M %S %L %z %Z %j %%); false on a mismatch.
bool parse_with_format(const std::string& text, const std::string& format, int64_t& millis,
                       int& offset_minutes) {
    int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0;
    size_t pos = 0;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') {
            if (pos >= text.size() || text[pos++] != format[i]) return false;
            continue;
        }
        if (i + 1 == format.size()) fail(18535, "Unmatched '%' at end of format string");
        char spec = format[++i];
        int64_t value = 0;
        bool ok = true;
        switch (spec) {
            case 'Y':
                ok = read_number(text, pos, 4, year);
                break;
            case 'm':
                ok = read_number(text, pos, 2, month);
                break;
            case 'd':
                ok = read_number(text, pos, 2, day);
                break;
            case 'H':
                ok = read_number(text, pos, 2, hour);
                break;
            case 'M':
                ok = read_number(text, pos, 2, minute);
                break;
            case 'S':
                ok = read_number(text, pos, 2, second);
                break;
            case 'j':
                ok = read_number(text, pos, 3, value), month = 1, day = value;
                break;
            case 'L': {
                size_t start = pos;
                ok = read_number(text, pos, 3, ms);
                for (size_t digits = pos - start; ok && digits < 3; ++digits)
                    ms *= 10;
                break;
            }
            case 'z':
            case 'Z':
                ok = read_zone(text, pos, spec == 'Z', offset_minutes);
                break;
            case '%':
                ok = pos < text.size() && text[pos++] == '%';
                break;
            default:
                fail(18536,
                     std::string("Invalid format character '%") + spec + "' in format string");
        }
        if (!ok) return false;
    }
    if (pos != text.size() || month < 1 || month > 12 || day < 1 || day > 366 || hour > 23 ||
        minute > 59 || second > 59) {
        return false;
    }
    millis = millis_from_parts(year, month, day, hour, minute, second, ms) -
             int64_t(offset_minutes) * 60000;
    return true;
}

NodePtr parse_date_from_string(const Value& args, ParseScope& scope) {
    if (!args.is_document()) {
        fail(40540,
             "$dateFromString only supports an object as an argument, found: " + type_name(args));
    }
    const Document& spec = args.doc();
    reject_unknown_args(spec, {"dateString", "format", "timezone", "onError", "onNull"}, 40541,
                        "Unrecognized argument to $dateFromString: ");
    const Value* text = spec.get("dateString");
    if (!text) fail(40542, "Missing 'dateString' parameter to $dateFromString");
    auto optional = [&](std::string_view name) {
        const Value* v = spec.get(name);
        return v ? parse(*v, scope) : make_constant(missing_value());
    };
    bool has_on_error = spec.get("onError") != nullptr;
    NodeList nodes{parse(*text, scope), optional("format"), optional("timezone"),
                   optional("onError"), optional("onNull")};
    return make_function(std::move(nodes), [has_on_error](const std::vector<Value>& a) {
        const Value& text = a[0];
        if (is_nullish(text)) return is_missing(a[4]) ? Value::null() : a[4];
        auto failed = [&](const std::string& message) {
            if (has_on_error) return a[3];
            fail(241, message);
        };
        if (!text.is_string()) {
            return failed("$dateFromString requires that 'dateString' be a string, found: " +
                          type_name(text) + " with value " + show(text));
        }
        int offset = is_nullish(a[2]) ? 0 : zone_offset_minutes(a[2]);
        int64_t millis = 0;
        bool parsed = false;
        if (is_nullish(a[1])) {
            parsed = parse_date_string(text.str(), millis);
            // A string without its own offset is read in the given time zone.
            bool has_zone = text.str().find_first_of("Z+", 10) != std::string::npos ||
                            text.str().find('-', 10) != std::string::npos;
            if (parsed && !has_zone) millis -= int64_t(offset) * 60000;
        } else {
            if (!a[1].is_string()) {
                fail(40684, "$dateFromString requires that 'format' be a string, found: " +
                                type_name(a[1]) + " with value " + show(a[1]));
            }
            parsed = parse_with_format(text.str(), a[1].str(), millis, offset);
        }
        if (!parsed) return failed("Error parsing date string '" + text.str() + "'");
        return Value::date(millis);
    });
}

}  // namespace

std::string date_to_string(int64_t millis) {
    return format_date("%Y-%m-%dT%H:%M:%S.%LZ", civil_of(millis, 0));
}

bool parse_date_string(const std::string& text, int64_t& millis) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3)
        return false;
    std::string rest = text.substr(consumed);
    int millis_part = 0, offset = 0;
    if (!rest.empty() && (rest[0] == 'T' || rest[0] == ' ')) {
        int used = 0;
        if (std::sscanf(rest.c_str() + 1, "%2d:%2d:%2d%n", &hour, &minute, &second, &used) != 3) {
            return false;
        }
        rest = rest.substr(1 + used);
        if (!rest.empty() && rest[0] == '.') {
            size_t digits = 1;
            while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])))
                ++digits;
            std::string fraction = (rest.substr(1, digits - 1) + "000").substr(0, 3);
            millis_part = std::stoi(fraction);
            rest = rest.substr(digits);
        }
        if (!rest.empty()) {
            try {
                offset = zone_offset_minutes(Value::string(rest));
            } catch (const MongoError&) {
                return false;
            }
        }
    } else if (!rest.empty()) {
        return false;
    }
    year_month_day ymd{std::chrono::year(year), std::chrono::month(unsigned(month)),
                       std::chrono::day(unsigned(day))};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return false;
    auto since_epoch = sys_days(ymd).time_since_epoch();
    millis = duration_cast<milliseconds>(since_epoch).count() +
             ((hour * 60 + minute - offset) * 60 + second) * int64_t(1000) + millis_part;
    return true;
}

void register_date_operators(Registry& registry) {
    const std::vector<std::pair<std::string, std::function<int(const Civil&)>>> parts = {
        {"$year", [](const Civil& c) { return c.year; }},
        {"$month", [](const Civil& c) { return c.month; }},
        {"$dayOfMonth", [](const Civil& c) { return c.day; }},
        {"$dayOfYear", [](const Civil& c) { return c.day_of_year; }},
        {"$dayOfWeek", [](const Civil& c) { return c.day_of_week; }},
        {"$hour", [](const Civil& c) { return c.hour; }},
        {"$minute", [](const Civil& c) { return c.minute; }},
        {"$second", [](const Civil& c) { return c.second; }},
        {"$millisecond", [](const Civil& c) { return c.millis; }},
        {"$week", [](const Civil& c) { return c.week; }},
        {"$isoWeek", [](const Civil& c) { return c.iso_week; }},
        {"$isoWeekYear", [](const Civil& c) { return c.iso_year; }},
        {"$isoDayOfWeek", [](const Civil& c) { return c.iso_day_of_week; }},
    };
    for (const auto& [name, part] : parts) {
        registry[name] = [name, part](const Value& args, ParseScope& scope) {
            return parse_date_part(name, args, scope, part);
        };
    }
    registry["$dateToString"] = parse_date_to_string;
    registry["$dateFromParts"] = parse_date_from_parts;
    registry["$dateFromString"] = parse_date_from_string;
}

}  // namespace tmd::expr
