/* UDFs for tests/sql/functions/udf.test, built into libsluice_udf_tests.so: every type of the
 * ABI, a VARCHAR result, a function that sees NULLs, one that fails, one that is not
 * deterministic, and descriptors the engine must refuse. */
#include <string.h>
#include <unistd.h>

#include "udf/sluice_udf.h"

#define DESCRIBE(symbol, ...)                                                                 \
  SLUICE_UDF_EXPORT const SluiceUdf* symbol(void) {                                           \
    static const SluiceUdf descriptor = {.abi_version = SLUICE_UDF_ABI_VERSION, __VA_ARGS__}; \
    return &descriptor;                                                                       \
  }

/* repeat_text(s VARCHAR, n INT) -> VARCHAR: s written n times (n <= 0: ''). */
static int32_t RepeatText(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                          SluiceUdfContext* context) {
  int64_t times = arguments[1].integer > 0 ? arguments[1].integer : 0;
  int64_t size = times * (int64_t)arguments[0].length;
  char* out = context->allocate(context, size);
  for (int64_t i = 0; i < times; ++i) {
    memcpy(out + i * arguments[0].length, arguments[0].data, arguments[0].length);
  }
  result->data = out;
  result->length = (uint32_t)size;
  return 0;
}
DESCRIBE(repeat_text, .return_type = SLUICE_UDF_VARCHAR, .argument_count = 2,
         .argument_types = {SLUICE_UDF_VARCHAR, SLUICE_UDF_INT}, .deterministic = 1,
         .null_on_null_input = 1, .call = RepeatText)

/* length_or_minus_one(s VARCHAR) -> BIGINT: the byte length, -1 for NULL (sees NULLs). */
static int32_t LengthOrMinusOne(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                                SluiceUdfContext* context) {
  (void)context;
  result->integer = arguments[0].is_null ? -1 : (int64_t)arguments[0].length;
  return 0;
}
DESCRIBE(length_or_minus_one, .return_type = SLUICE_UDF_BIGINT, .argument_count = 1,
         .argument_types = {SLUICE_UDF_VARCHAR}, .deterministic = 1, .null_on_null_input = 0,
         .call = LengthOrMinusOne)

/* shift(b BOOLEAN, i INT, x DOUBLE, ts TIMESTAMP) -> TIMESTAMP: ts + i seconds when b,
 * ts + x milliseconds otherwise; NULL when x is negative. */
static int32_t Shift(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                     SluiceUdfContext* context) {
  (void)context;
  if (arguments[2].real < 0) {
    result->is_null = 1;
    return 0;
  }
  result->integer = arguments[0].integer ? arguments[3].integer + arguments[1].integer * 1000
                                         : arguments[3].integer + (int64_t)arguments[2].real;
  return 0;
}
DESCRIBE(shift, .return_type = SLUICE_UDF_TIMESTAMP, .argument_count = 4,
         .argument_types = {SLUICE_UDF_BOOLEAN, SLUICE_UDF_INT, SLUICE_UDF_DOUBLE,
                            SLUICE_UDF_TIMESTAMP},
         .deterministic = 1, .null_on_null_input = 1, .call = Shift)

/* half(x DOUBLE) -> DOUBLE, is_even(n BIGINT) -> BOOLEAN, negate_int(n INT) -> INT. */
static int32_t Half(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                    SluiceUdfContext* context) {
  (void)context;
  result->real = arguments[0].real / 2;
  return 0;
}
DESCRIBE(half, .return_type = SLUICE_UDF_DOUBLE, .argument_count = 1,
         .argument_types = {SLUICE_UDF_DOUBLE}, .deterministic = 1, .null_on_null_input = 1,
         .call = Half)
static int32_t IsEven(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                      SluiceUdfContext* context) {
  (void)context;
  result->integer = arguments[0].integer % 2 == 0 ? 7 : 0; /* any non-zero is TRUE */
  return 0;
}
DESCRIBE(is_even, .return_type = SLUICE_UDF_BOOLEAN, .argument_count = 1,
         .argument_types = {SLUICE_UDF_BIGINT}, .deterministic = 1, .null_on_null_input = 1,
         .call = IsEven)
static int32_t NegateInt(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                         SluiceUdfContext* context) {
  (void)context;
  result->integer = -arguments[0].integer; /* -(INT_MIN) keeps its low 32 bits: INT_MIN */
  return 0;
}
DESCRIBE(negate_int, .return_type = SLUICE_UDF_INT, .argument_count = 1,
         .argument_types = {SLUICE_UDF_INT}, .deterministic = 1, .null_on_null_input = 1,
         .call = NegateInt)

/* checked(n BIGINT) -> BIGINT: n, or an error for a negative n. */
static int32_t Checked(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                       SluiceUdfContext* context) {
  if (arguments[0].integer < 0) {
    context->set_error(context, "negative input");
    return 3;
  }
  result->integer = arguments[0].integer;
  return 0;
}
DESCRIBE(checked, .return_type = SLUICE_UDF_BIGINT, .argument_count = 1,
         .argument_types = {SLUICE_UDF_BIGINT}, .deterministic = 1, .null_on_null_input = 1,
         .call = Checked)

/* next_number() -> BIGINT: 1, 2, 3, ... per process; not deterministic. */
static int32_t NextNumber(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                          SluiceUdfContext* context) {
  (void)arguments;
  (void)context;
  static int64_t counter = 0;
  result->integer = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
  return 0;
}
DESCRIBE(next_number, .return_type = SLUICE_UDF_BIGINT, .argument_count = 0, .deterministic = 0,
         .null_on_null_input = 1, .call = NextNumber)

/* Descriptors the engine refuses. */
SLUICE_UDF_EXPORT const SluiceUdf* future_version(void) {
  static const SluiceUdf descriptor = {
      .abi_version = 99, .return_type = SLUICE_UDF_BIGINT, .call = NextNumber};
  return &descriptor;
}
DESCRIBE(decimal_result, .return_type = 42, .argument_count = 0, .call = NextNumber)
DESCRIBE(no_call, .return_type = SLUICE_UDF_BIGINT, .argument_count = 0)

/* fail_once(flag VARCHAR, n BIGINT) -> BIGINT: n; but when a file exists at path `flag`, it is
 * removed and the call fails: a transient fault the recovery tests inject while a job runs. */
static int32_t FailOnce(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                        SluiceUdfContext* context) {
  char path[4096];
  uint32_t length = arguments[0].length < sizeof path - 1 ? arguments[0].length : sizeof path - 1;
  memcpy(path, arguments[0].data, length);
  path[length] = '\0';
  if (unlink(path) == 0) {
    context->set_error(context, "injected fault");
    return 5;
  }
  result->integer = arguments[1].integer;
  return 0;
}
DESCRIBE(fail_once, .return_type = SLUICE_UDF_BIGINT, .argument_count = 2,
         .argument_types = {SLUICE_UDF_VARCHAR, SLUICE_UDF_BIGINT}, .deterministic = 0,
         .null_on_null_input = 1, .call = FailOnce)

/* A library built against version 1 of the header: its descriptor ends at `call`, so the
 * engine must read none of the table function fields. */
typedef struct {
  uint32_t abi_version;
  int32_t return_type;
  int32_t argument_count;
  int32_t argument_types[SLUICE_UDF_MAX_ARGUMENTS];
  uint8_t deterministic;
  uint8_t null_on_null_input;
  SluiceUdfCall call;
} SluiceUdfVersion1;

SLUICE_UDF_EXPORT const SluiceUdf* version_one(void) {
  static const SluiceUdfVersion1 descriptor = {.abi_version = 1,
                                               .return_type = SLUICE_UDF_BIGINT,
                                               .null_on_null_input = 1,
                                               .call = NextNumber};
  return (const SluiceUdf*)&descriptor;
}

/* Table functions the engine refuses, and one that fails after emitting. */
DESCRIBE(no_table_columns, .argument_count = 0, .call = NextNumber, .table_function = 1,
         .column_count = 0)
DESCRIBE(bad_column_type, .argument_count = 0, .call = NextNumber, .table_function = 1,
         .column_count = 1, .column_types = {42})

/* count_down(n BIGINT) -> TABLE (f0 BIGINT, f1 VARCHAR): n, n - 1, ..., 1 with a NULL second
 * column; fails (after emitting) for n above 3. */
static int32_t CountDown(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                         SluiceUdfContext* context) {
  (void)result;
  for (int64_t i = arguments[0].integer; i > 0; --i) {
    SluiceUdfValue row[2] = {{0}};
    row[0].integer = i;
    row[1].is_null = 1;
    int32_t code = context->emit(context, row);
    if (code != 0) return code;
  }
  if (arguments[0].integer > 3) {
    context->set_error(context, "too far to count");
    return 7;
  }
  return 0;
}
DESCRIBE(count_down, .argument_count = 1, .argument_types = {SLUICE_UDF_BIGINT}, .deterministic = 1,
         .null_on_null_input = 1, .call = CountDown, .table_function = 1, .column_count = 2,
         .column_types = {SLUICE_UDF_BIGINT, SLUICE_UDF_VARCHAR})
