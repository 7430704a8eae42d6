#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::runtime::expr {

/// A time zone of the IANA database (read from the system's compiled TZif files, as
/// java.time does from its own copy), or a fixed offset. Immutable and shared: Find caches
/// every zone it has read.
class TimeZone {
 public:
  /// The zone `id` names: a region ("America/Los_Angeles"), "UTC"/"GMT"/"Z", a fixed offset
  /// ("+08:00", "GMT-8", "UTC+05:30"), or one of Java's three-letter IDs ("PST", "CTT", "EST");
  /// null when there is no such zone. Never reads outside the zone directory
  /// (/usr/share/zoneinfo, or $TZDIR as the C library takes it).
  static std::shared_ptr<const TimeZone> Find(std::string_view id);

  /// The offset from UTC, in milliseconds, at the instant `utc_millis`.
  int64_t OffsetAt(int64_t utc_millis) const;

  /// The instant of local wall time `local_millis` (milliseconds since 1970-01-01 00:00 on the
  /// zone's clock), as java.time's ZonedDateTime.of: in a gap (spring forward) the time moves
  /// later by the gap's length, in an overlap (fall back) the earlier offset wins.
  int64_t ToUtc(int64_t local_millis) const;

  const std::string& id() const { return id_; }
  /// Whether the offset is zero at every instant (UTC, GMT, Z, +00:00, Etc/UTC).
  bool IsUtc() const;

  /// A POSIX TZ rule (a TZif file's footer: "PST8PDT,M3.2.0,M11.1.0"), for instants past the
  /// file's last transition.
  struct Rule {
    int64_t standard_offset = 0;  // milliseconds east of UTC
    std::optional<int64_t> daylight_offset;
    struct Change {
      int32_t month = 0;               // 1..12
      int32_t week = 0;                // 1..5 (5: the last)
      int32_t weekday = 0;             // 0 = Sunday
      int64_t time = 2 * 3600 * 1000;  // local milliseconds after midnight
    };
    Change start, end;  // into and out of daylight time
  };
  /// Parses a POSIX TZ rule of the `M` form; nullopt for other forms.
  static std::optional<Rule> ParseRule(std::string_view text);

 private:
  std::string id_;
  std::vector<int64_t> transitions_;  // UTC milliseconds, ascending
  std::vector<int64_t> offsets_;      // offsets_[i] applies from transitions_[i - 1]
  std::optional<Rule> rule_;          // after the last transition

  /// Reads a TZif file's version 2+ data; false when it is not one.
  bool ParseTzif(std::string_view data);
};

/// The zone a `table.local-time-zone` value names, as an id Find knows: the value itself, or
/// for Flink's `default` the machine's zone (the TZ variable, else /etc/timezone, else the
/// target of /etc/localtime, else UTC); nullopt for a zone that does not exist.
std::optional<std::string> SessionTimeZoneId(std::string_view option);

}  // namespace sluice::runtime::expr
