/* split_words(s VARCHAR, separator VARCHAR) -> TABLE (word VARCHAR, length INT): one row per
 * piece of `s` between occurrences of the first byte of `separator` (empty pieces skipped),
 * with its length in bytes; no row for a NULL `s`. The table function of Flink's documentation
 * (SplitFunction), built into libsluice_udf_examples.so:
 *
 *     CREATE FUNCTION split_words AS 'libsluice_udf_examples.so:split_words';
 *     SELECT s, word, length FROM t, LATERAL TABLE(split_words(s, ' '));
 *
 * A separator that is NULL or empty splits on spaces. */
#include <stddef.h>

#include "udf/sluice_udf.h"

static int32_t SplitWords(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                          SluiceUdfContext* context) {
  (void)result;
  const SluiceUdfValue* text = &arguments[0];
  const SluiceUdfValue* separator = &arguments[1];
  if (text->is_null) return 0;
  const char wanted = separator->is_null || separator->length == 0 ? ' ' : separator->data[0];
  uint32_t start = 0;
  for (uint32_t i = 0; i <= text->length; ++i) {
    if (i < text->length && text->data[i] != wanted) continue;
    if (i > start) {
      SluiceUdfValue row[2] = {{0}};
      row[0].data = text->data + start;
      row[0].length = i - start;
      row[1].integer = (int64_t)(i - start);
      int32_t code = context->emit(context, row);
      if (code != 0) return code;
    }
    start = i + 1;
  }
  return 0;
}

SLUICE_UDF_EXPORT const SluiceUdf* split_words(void) {
  static const SluiceUdf descriptor = {
      .abi_version = SLUICE_UDF_ABI_VERSION,
      .argument_count = 2,
      .argument_types = {SLUICE_UDF_VARCHAR, SLUICE_UDF_VARCHAR},
      .deterministic = 1,
      .null_on_null_input = 0,
      .call = SplitWords,
      .table_function = 1,
      .column_count = 2,
      .column_types = {SLUICE_UDF_VARCHAR, SLUICE_UDF_INT},
      .column_names = {"word", "length"},
  };
  return &descriptor;
}
