#pragma once

// The C ABI between generated chain kernels and the runtime. Generated code (compiler/codegen)
// and the interpreter (runtime/expr) both follow it; helpers are plain C functions the JIT
// resolves by name, so both paths share one implementation of every non-trivial operation.

#include <cstdint>

#include "runtime/batch/batch.h"
#include "udf/sluice_udf.h"

extern "C" {

/// One column as a kernel sees it: fixed-width values and one validity byte per row.
struct SluiceKernelColumn {
  uint8_t* data;
  uint8_t* validity;
};

/// What a kernel may call back into: the output batch's arena for new strings. `error` is set
/// (in the arena) by a helper that fails, a user-defined function returning an error; the
/// kernel then finishes the batch with NULLs and its caller fails the job with the message.
struct SluiceKernelContext {
  sluice::runtime::Arena* arena;
  const char* error = nullptr;
};

/// A compiled chain: reads `row_count` rows of `inputs`, writes the rows that pass the filter,
/// compacted, into `outputs` (one per projection) and returns how many it wrote. The caller
/// checks `context->error` afterwards.
typedef int32_t (*SluiceChainKernel)(const SluiceKernelColumn* inputs, SluiceKernelColumn* outputs,
                                     int32_t row_count, SluiceKernelContext* context);

// ---- helpers (implemented in scalar_helpers.cpp, registered with the JIT by name) ----
// Strings are passed as pointers to StringRef. Functions returning uint8_t return validity:
// 1 when the result is a value, 0 when it is NULL.

char* sluice_arena_allocate(SluiceKernelContext* context, int64_t size);

int32_t sluice_string_compare(const sluice::runtime::StringRef* left,
                              const sluice::runtime::StringRef* right);
uint8_t sluice_string_equal(const sluice::runtime::StringRef* left,
                            const sluice::runtime::StringRef* right);
void sluice_string_concat(SluiceKernelContext* context, const sluice::runtime::StringRef* left,
                          const sluice::runtime::StringRef* right, sluice::runtime::StringRef* out);
void sluice_string_upper(SluiceKernelContext* context, const sluice::runtime::StringRef* in,
                         sluice::runtime::StringRef* out);
void sluice_string_lower(SluiceKernelContext* context, const sluice::runtime::StringRef* in,
                         sluice::runtime::StringRef* out);
int32_t sluice_string_char_length(const sluice::runtime::StringRef* in);
/// `length` < 0 means "to the end". Start is 1-based in characters (UTF-8 code points).
void sluice_string_substring(const sluice::runtime::StringRef* in, int64_t start, int64_t length,
                             sluice::runtime::StringRef* out);
void sluice_string_trim(const sluice::runtime::StringRef* in, sluice::runtime::StringRef* out);
uint8_t sluice_string_like(const sluice::runtime::StringRef* text,
                           const sluice::runtime::StringRef* pattern);

/// Token `index` (0-based) of `text` split on every occurrence of `delimiter`; 0 (NULL) when
/// `index` is negative or past the last token, or `text` is empty. An empty delimiter leaves
/// the whole text as the only token. The result points into `text`.
uint8_t sluice_string_split_index(const sluice::runtime::StringRef* text,
                                  const sluice::runtime::StringRef* delimiter, int64_t index,
                                  sluice::runtime::StringRef* out);
/// Group `group` (0 = the whole match) of the first match of RE2 `pattern` in `text`; 0 (NULL)
/// when the pattern is invalid, nothing matches, the group does not exist or did not take
/// part in the match. Patterns are compiled once per process and cached. The result points
/// into `text`.
uint8_t sluice_regexp_extract(const sluice::runtime::StringRef* text,
                              const sluice::runtime::StringRef* pattern, int64_t group,
                              sluice::runtime::StringRef* out);

/// A calendar field of a TIMESTAMP (UTC, proleptic Gregorian), for sluice_timestamp_extract.
enum class SluiceTimeField : int32_t {
  kYear,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,  // seconds * 1000 + milliseconds (Calcite's EXTRACT(MILLISECOND ...))
};
/// Returns field `field` (a SluiceTimeField) of the timestamp `millis`.
int64_t sluice_timestamp_extract(int64_t millis, int32_t field);
/// PROCTIME(): the wall clock (system_clock) in milliseconds since the epoch, UTC.
int64_t sluice_current_millis(void);
/// Formats `millis` with a DATE_FORMAT pattern (SEMANTICS.md) into the arena; 0 (NULL) when
/// the pattern is not supported.
uint8_t sluice_timestamp_format(SluiceKernelContext* context, int64_t millis,
                                const sluice::runtime::StringRef* pattern,
                                sluice::runtime::StringRef* out);

/// CONCAT_WS: joins the non-NULL strings of `arguments[1..count)` (`is_null` set for NULL)
/// with the separator `arguments[0]`, which must not be NULL.
void sluice_concat_ws(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t count,
                      sluice::runtime::StringRef* out);
/// How ROUND (kHalfUp: half away from zero), TRUNCATE (kDown), FLOOR and CEIL round.
enum class SluiceRounding : int32_t { kHalfUp, kDown, kFloor, kCeiling };
/// Rounds an integer to `digits` decimal places (a negative `digits` rounds to tens, hundreds,
/// ...) by `mode` (a SluiceRounding); wraps past int64 as Java's longValue().
int64_t sluice_round_integer(int64_t value, int32_t digits, int32_t mode);
/// Rounds a DOUBLE as Flink: BigDecimal.valueOf(value).setScale(digits, mode).doubleValue();
/// FLOOR and CEIL (digits 0) are floor() and ceil(). NaN and infinities are kept.
double sluice_round_double(double value, int32_t digits, int32_t mode);
/// Rounds a DECIMAL of scale `scale` to `digits` places by `mode`; writes the unscaled result at
/// scale max(min(digits, scale), 0). 0 (NULL) when it needs more than `precision` digits.
uint8_t sluice_round_decimal(__int128 unscaled, int32_t scale, int32_t digits, int32_t mode,
                             int32_t precision, __int128* out);
/// SIGN of a DOUBLE: Math.signum (-1.0, 1.0, or the zero or NaN itself).
double sluice_sign_double(double value);

uint8_t sluice_cast_string_to_int(const sluice::runtime::StringRef* in, int32_t* out);
/// BYTES → VARCHAR: the same bytes when they are well-formed UTF-8 (no overlong forms, no
/// surrogates, nothing past U+10FFFF); 0 (NULL) otherwise, where Flink's strict cast fails.
uint8_t sluice_cast_binary_to_string(const sluice::runtime::StringRef* in,
                                     sluice::runtime::StringRef* out);
uint8_t sluice_cast_string_to_bigint(const sluice::runtime::StringRef* in, int64_t* out);
uint8_t sluice_cast_string_to_double(const sluice::runtime::StringRef* in, double* out);
uint8_t sluice_cast_string_to_boolean(const sluice::runtime::StringRef* in, uint8_t* out);
uint8_t sluice_cast_string_to_timestamp(const sluice::runtime::StringRef* in, int64_t* out);
uint8_t sluice_cast_string_to_interval(const sluice::runtime::StringRef* in, int64_t* out);
// DATE ↔ TIMESTAMP ↔ TIME: the midnight of a day, the day and the time of day of an instant
// (floor division, so instants before 1970 land on the right day). Inline: the code generator
// emits the same arithmetic.
inline int64_t sluice_date_to_timestamp(int32_t days) {
  return int64_t{days} * 86'400'000;
}
inline int32_t sluice_timestamp_to_date(int64_t millis) {
  int64_t days = millis / 86'400'000;
  if (millis % 86'400'000 < 0) --days;
  return static_cast<int32_t>(days);
}
inline int32_t sluice_timestamp_to_time(int64_t millis) {
  int64_t rest = millis % 86'400'000;
  return static_cast<int32_t>(rest < 0 ? rest + 86'400'000 : rest);
}
uint8_t sluice_cast_string_to_date(const sluice::runtime::StringRef* in, int32_t* out);
uint8_t sluice_cast_string_to_time(const sluice::runtime::StringRef* in, int32_t* out);
void sluice_cast_date_to_string(SluiceKernelContext* context, int32_t days,
                                sluice::runtime::StringRef* out);
void sluice_cast_time_to_string(SluiceKernelContext* context, int32_t millis,
                                sluice::runtime::StringRef* out);
uint8_t sluice_cast_string_to_decimal(const sluice::runtime::StringRef* in, int32_t precision,
                                      int32_t scale, __int128* out);
void sluice_cast_bigint_to_string(SluiceKernelContext* context, int64_t value,
                                  sluice::runtime::StringRef* out);
void sluice_cast_double_to_string(SluiceKernelContext* context, double value,
                                  sluice::runtime::StringRef* out);
/// A FLOAT (stored as a double that a float holds) as Java's Float.toString writes it.
void sluice_cast_float_to_string(SluiceKernelContext* context, double value,
                                 sluice::runtime::StringRef* out);
void sluice_cast_boolean_to_string(SluiceKernelContext* context, uint8_t value,
                                   sluice::runtime::StringRef* out);
void sluice_cast_timestamp_to_string(SluiceKernelContext* context, int64_t millis,
                                     sluice::runtime::StringRef* out);
void sluice_cast_decimal_to_string(SluiceKernelContext* context, __int128 unscaled, int32_t scale,
                                   sluice::runtime::StringRef* out);
void sluice_cast_interval_to_string(SluiceKernelContext* context, int64_t millis,
                                    sluice::runtime::StringRef* out);
uint8_t sluice_cast_double_to_int(double value, int32_t* out);
uint8_t sluice_cast_double_to_bigint(double value, int64_t* out);
// DECIMAL values cross this ABI as 128-bit unscaled integers whatever their precision (a column
// of DECIMAL(p <= 18) holds int64s, widened and narrowed around the call).
uint8_t sluice_cast_double_to_decimal(double value, int32_t precision, int32_t scale,
                                      __int128* out);
uint8_t sluice_cast_bigint_to_decimal(int64_t value, int32_t precision, int32_t scale,
                                      __int128* out);
/// Rounds half up to `scale`; NULL (0) when the result needs more than `precision` digits.
uint8_t sluice_cast_decimal_to_decimal(__int128 unscaled, int32_t from_scale, int32_t precision,
                                       int32_t scale, __int128* out);
/// Truncates toward zero; keeps the low 64 bits of an integral part past int64 (Java's
/// BigDecimal.longValue(), as Flink).
uint8_t sluice_cast_decimal_to_bigint(__int128 unscaled, int32_t scale, int64_t* out);
/// `(double) unscaled / 10^scale`, both as doubles.
double sluice_cast_decimal_to_double(__int128 unscaled, int32_t scale);

// DECIMAL arithmetic (decimal_functions.cpp): exact over operands of any scale, rounded half up
// to the result's (precision, scale); 0 (NULL) when the result does not fit, or for a zero
// divisor of `/` and MOD.
uint8_t sluice_decimal_add(__int128 left, int32_t left_scale, __int128 right, int32_t right_scale,
                           int32_t precision, int32_t scale, __int128* out);
uint8_t sluice_decimal_subtract(__int128 left, int32_t left_scale, __int128 right,
                                int32_t right_scale, int32_t precision, int32_t scale,
                                __int128* out);
uint8_t sluice_decimal_multiply(__int128 left, int32_t left_scale, __int128 right,
                                int32_t right_scale, int32_t precision, int32_t scale,
                                __int128* out);
uint8_t sluice_decimal_divide(__int128 left, int32_t left_scale, __int128 right,
                              int32_t right_scale, int32_t precision, int32_t scale, __int128* out);
uint8_t sluice_decimal_modulo(__int128 left, int32_t left_scale, __int128 right,
                              int32_t right_scale, int32_t precision, int32_t scale, __int128* out);
/// Orders two DECIMALs by value: -1, 0 or 1.
int32_t sluice_decimal_compare(__int128 left, int32_t left_scale, __int128 right,
                               int32_t right_scale);

/// Calls the user-defined function `function` (a `const sluice::runtime::expr::UserFunction*`)
/// on one row of `arguments` and writes `result`, normalized (a BOOLEAN is 0/1, an INT
/// sign-extended from its low 32 bits, an empty VARCHAR has non-null data). Returns the
/// result's validity. Does not check null_on_null_input: callers skip NULL rows themselves.
/// On failure sets `context->error` and returns 0; once it is set, calls return 0 at once.
/// Implemented in user_function.cpp.
uint8_t sluice_call_udf(SluiceKernelContext* context, const void* function,
                        const SluiceUdfValue* arguments, SluiceUdfValue* result);

// The helpers of the helper functions of catalog/functions/functions.def, declared from their
// shapes (functions::HelperShape), so a helper that does not match its shape fails to compile.
#define SLUICE_HELPER_DECLARATION_kStringToString(helper)                         \
  void helper(SluiceKernelContext* context, const sluice::runtime::StringRef* in, \
              sluice::runtime::StringRef* out);
#define SLUICE_HELPER_DECLARATION_kStringStringIndexToString(helper)                               \
  uint8_t helper(const sluice::runtime::StringRef* text, const sluice::runtime::StringRef* second, \
                 int64_t index, sluice::runtime::StringRef* out);
// Every value shape (functions::IsValueShape) has this one C signature.
#define SLUICE_VALUE_HELPER_DECLARATION(helper)                                                \
  uint8_t helper(SluiceKernelContext* context, const SluiceUdfValue* arguments, int32_t count, \
                 SluiceUdfValue* out);
#define SLUICE_HELPER_DECLARATION_kValueToTimestamp SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueTyped SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueTypedNullable SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueToDouble SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueTimestampToBigint SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueTimestampStringToTimestamp SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringToBigint SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueBigintStringToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringToTimestamp SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringBigintTimestampToTimestamp \
  SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringTimestampTimestampToInt \
  SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueDoubleToDouble SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueDoubleDoubleToDouble SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueIntToInt SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueIntToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueBigintToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringToBoolean SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringToInt SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringIntToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringToBoolean SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringStringToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringIntStringToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringIntToInt SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueToDate SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueToTime SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringToDate SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringToInt SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueDoubleIntToTimestamp SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueTimestampToTimestamp SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringStringToBoolean SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueStringStringToBinary SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_HELPER_DECLARATION_kValueBinaryStringToString SLUICE_VALUE_HELPER_DECLARATION
#define SLUICE_FUNCTION(id, name, null_propagating, deterministic)
#define SLUICE_HELPER_FUNCTION(id, name, shape, helper, min_arguments) \
  SLUICE_HELPER_DECLARATION_##shape(helper)
#include "catalog/functions/functions.def"
#undef SLUICE_FUNCTION
#undef SLUICE_HELPER_FUNCTION
#undef SLUICE_HELPER_DECLARATION_kStringToString
#undef SLUICE_HELPER_DECLARATION_kStringStringIndexToString

}  // extern "C"
