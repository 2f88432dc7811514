// Date expression operators: $year $month $dayOfMonth $dayOfYear $dayOfWeek $hour $minute $second
// $millisecond $week $isoWeek $isoWeekYear $isoDayOfWeek and $dateToString, in UTC or a fixed
// offset time zone ("+05:30"); Olson zone names other than UTC/GMT are rejected.
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
}

}  // namespace tmd::expr
