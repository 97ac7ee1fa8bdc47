package validation

import "testing"

func TestEverySupportedTypeHasExactlyOneEvaluator(t *testing.T) {
	for _, ty := range SupportedTypes() {
		_, table := tableChecks[ty]
		_, column := columnChecks[ty]
		if table == column {
			t.Errorf("%s: table evaluator %v, column evaluator %v; want exactly one", ty, table, column)
		}
	}
	for _, m := range []map[string]check{tableChecks, columnChecks} {
		for ty := range m {
			if _, ok := specs[ty]; !ok {
				t.Errorf("%s has an evaluator but no argument spec", ty)
			}
		}
	}
}
