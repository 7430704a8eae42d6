/* A UDF library that tells when it is loaded: its constructor appends a line to the file named
 * by $SLUICE_UDF_MARKER (when set). Built into libsluice_udf_marker.so for the CLI tests that
 * check that reading a plan (savepoint inspect/read, check --against, restore verification)
 * loads no library. plus_one(n BIGINT) -> BIGINT: n + 1. */
#include <stdio.h>
#include <stdlib.h>

#include "udf/sluice_udf.h"

__attribute__((constructor)) static void WriteMarker(void) {
  const char* path = getenv("SLUICE_UDF_MARKER");
  if (path == NULL) return;
  FILE* file = fopen(path, "a");
  if (file == NULL) return;
  fputs("loaded\n", file);
  fclose(file);
}

static int32_t PlusOne(const SluiceUdfValue* arguments, SluiceUdfValue* result,
                       SluiceUdfContext* context) {
  (void)context;
  result->integer = arguments[0].integer + 1;
  return 0;
}

SLUICE_UDF_EXPORT const SluiceUdf* plus_one(void) {
  static const SluiceUdf descriptor = {
      .abi_version = SLUICE_UDF_ABI_VERSION,
      .return_type = SLUICE_UDF_BIGINT,
      .argument_count = 1,
      .argument_types = {SLUICE_UDF_BIGINT},
      .deterministic = 1,
      .null_on_null_input = 1,
      .call = PlusOne,
  };
  return &descriptor;
}
