/* The C ABI of Sluice user-defined scalar and table functions (udf/README.md).
 *
 * A UDF library is a shared library that exports, for each function, a descriptor function
 *
 *     SLUICE_UDF_EXPORT const SluiceUdf* <symbol>(void);
 *
 * returning a pointer to a descriptor that lives as long as the library. A script declares
 *
 *     CREATE FUNCTION count_char AS 'libsluice_udf_examples.so:count_char' [LANGUAGE C];
 *
 * and Sluice opens the library, calls `<symbol>()` once, checks `abi_version` and the types,
 * and then calls `call` once per row. Libraries are never unloaded.
 *
 * This header is plain C (C99) and is all a UDF library needs: it links against nothing of
 * Sluice; the engine reaches the library, never the other way round.
 */
#ifndef SLUICE_UDF_H_
#define SLUICE_UDF_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when the descriptor grows or changes. The engine reads descriptors of version 1
 * (scalar functions: the fields up to `call`) and 2 (table functions too: every field), and
 * refuses any other. */
#define SLUICE_UDF_ABI_VERSION 2

/* The most arguments a UDF may take. */
#define SLUICE_UDF_MAX_ARGUMENTS 16

#if defined(__GNUC__)
#define SLUICE_UDF_EXPORT __attribute__((visibility("default")))
#else
#define SLUICE_UDF_EXPORT
#endif

/* SQL types a UDF may take and return, and where a value lives in SluiceUdfValue. */
enum {
  SLUICE_UDF_BOOLEAN = 1,   /* integer: 0 or 1 (a result is TRUE when non-zero) */
  SLUICE_UDF_INT = 2,       /* integer: an int32 (a result keeps its low 32 bits) */
  SLUICE_UDF_BIGINT = 3,    /* integer */
  SLUICE_UDF_DOUBLE = 4,    /* real */
  SLUICE_UDF_VARCHAR = 5,   /* data, length: UTF-8 bytes, not NUL-terminated */
  SLUICE_UDF_TIMESTAMP = 6, /* integer: TIMESTAMP(3), milliseconds since the epoch, UTC */
};

/* One argument or result. The engine zeroes every field of the result before a call; a
 * function returns SQL NULL by setting `is_null` to 1. */
typedef struct SluiceUdfValue {
  int64_t integer;
  double real;
  const char* data;
  uint32_t length;
  uint8_t is_null;
} SluiceUdfValue;

typedef struct SluiceUdfContext SluiceUdfContext;

/* What a call may use. Valid during the call only. */
struct SluiceUdfContext {
  /* Returns `size` bytes that live as long as the batch being computed: the storage for a
   * VARCHAR result. NULL when `size` is negative. */
  char* (*allocate)(SluiceUdfContext* context, int64_t size);
  /* Records a message for a failing call (copied); the call then returns non-zero. */
  void (*set_error)(SluiceUdfContext* context, const char* message);
  /* Owned by the engine. */
  void* engine;
  /* A table function's way out (NULL in a scalar call): emits one row of `column_count`
   * values (`is_null` = 1 for NULL; VARCHAR bytes are copied, so they may live in the call's
   * own storage). Returns 0, or non-zero for a row it refuses (a VARCHAR without data), which
   * the call should return. */
  int32_t (*emit)(SluiceUdfContext* context, const SluiceUdfValue* columns);
};

/* Computes one row: reads `arguments` (as many as the descriptor declares), writes `result`.
 * Returns 0 on success; anything else fails the job, naming the function (and the message of
 * set_error, if any). A VARCHAR result must point into memory from `allocate`, into an
 * argument's bytes, or into static storage of the library. */
typedef int32_t (*SluiceUdfCall)(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                                 SluiceUdfContext* context);

/* Describes one function. Fields may be appended in later ABI versions, never reordered. */
typedef struct SluiceUdf {
  uint32_t abi_version;                             /* SLUICE_UDF_ABI_VERSION */
  int32_t return_type;                              /* a SLUICE_UDF_* type */
  int32_t argument_count;                           /* 0 .. SLUICE_UDF_MAX_ARGUMENTS */
  int32_t argument_types[SLUICE_UDF_MAX_ARGUMENTS]; /* SLUICE_UDF_* types, in order */
  /* 1: the result depends on the arguments only, so a call over constants may be computed
   * once at compile time. 0: it is called for every row. */
  uint8_t deterministic;
  /* 1: when any argument is NULL the engine returns NULL without calling. 0: the function
   * sees NULL arguments (is_null = 1, other fields zero) and decides. */
  uint8_t null_on_null_input;
  SluiceUdfCall call;
  /* Version 2. 1: a table function (`LATERAL TABLE(f(...))`): `call` emits any number of rows
   * through context->emit and leaves `result` alone; `return_type` is not read. 0: scalar. */
  uint8_t table_function;
  int32_t column_count;                           /* a table function's: 1 .. 16 */
  int32_t column_types[SLUICE_UDF_MAX_ARGUMENTS]; /* SLUICE_UDF_* types, in order */
  /* The columns' names (NULL for Flink's default, f0, f1, ...); `AS t(a, b)` renames them. */
  const char* column_names[SLUICE_UDF_MAX_ARGUMENTS];
} SluiceUdf;

/* The type of the exported descriptor function. */
typedef const SluiceUdf* (*SluiceUdfDescriptor)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SLUICE_UDF_H_ */
