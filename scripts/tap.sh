# SPDX-License-Identifier: GPL-2.0
#
# TAP results for the check scripts, sourced by each: result OK NAME
# prints "ok N NAME" when OK is 1, else "not ok N NAME", and counts it in
# tests (all results) and failed.

tests=0 failed=0

result() {	# result OK NAME
	tests=$((tests + 1))
	if [ "$1" = 1 ]; then
		echo "ok $tests $2"
	else
		echo "not ok $tests $2"
		failed=$((failed + 1))
	fi
}
