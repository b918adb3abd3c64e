// SPDX-License-Identifier: GPL-2.0
/*
 * The libFuzzer entry point: each input runs through the decoder and
 * model of fuzz.h, which abort on any mismatch. Built only by clang with
 * -fsanitize=fuzzer (`make fuzz`, scripts/fuzz.sh); the replay test runs
 * the same decoder without it.
 */
#include <stdint.h>

#include "../fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_run(data, size);
	return 0;
}
