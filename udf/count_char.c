/* count_char(s VARCHAR, c VARCHAR) -> BIGINT: how many bytes of `s` equal the first byte of
 * `c` (0 when `c` is empty); NULL when either is NULL. The UDF of Nexmark q14, built into
 * libsluice_udf_examples.so:
 *
 *     CREATE FUNCTION count_char AS 'libsluice_udf_examples.so:count_char';
 *
 * (Flink's CountChar returns 0 for a NULL `s`; Nexmark never passes one.) */
#include <stddef.h>

#include "udf/sluice_udf.h"

static int32_t CountChar(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                         SluiceUdfContext* context) {
  (void)context;
  const SluiceUdfValue* text = &arguments[0];
  const SluiceUdfValue* character = &arguments[1];
  int64_t count = 0;
  if (character->length > 0) {
    char wanted = character->data[0];
    for (uint32_t i = 0; i < text->length; ++i) count += text->data[i] == wanted;
  }
  result->integer = count;
  return 0;
}

SLUICE_UDF_EXPORT const SluiceUdf* count_char(void) {
  static const SluiceUdf descriptor = {
      .abi_version = SLUICE_UDF_ABI_VERSION,
      .return_type = SLUICE_UDF_BIGINT,
      .argument_count = 2,
      .argument_types = {SLUICE_UDF_VARCHAR, SLUICE_UDF_VARCHAR},
      .deterministic = 1,
      .null_on_null_input = 1,
      .call = CountChar,
  };
  return &descriptor;
}
