package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FormatVersion is the Great Expectations release whose result format the
// results follow; it is written as meta.great_expectations_version so
// readers of that format take the documents as their own.
const FormatVersion = "0.18.21"

// SuiteResult is an ExpectationSuiteValidationResult.
type SuiteResult struct {
	Success              bool                `json:"success"`
	Results              []ExpectationResult `json:"results"`
	EvaluationParameters Object              `json:"evaluation_parameters"`
	Statistics           Statistics          `json:"statistics"`
	Meta                 Object              `json:"meta"`
}

// Statistics summarise a run: success is all passed, and SuccessPercent is
// null when nothing was evaluated.
type Statistics struct {
	EvaluatedExpectations    int      `json:"evaluated_expectations"`
	SuccessfulExpectations   int      `json:"successful_expectations"`
	UnsuccessfulExpectations int      `json:"unsuccessful_expectations"`
	SuccessPercent           *float64 `json:"success_percent"`
}

// ExpectationResult is one ExpectationValidationResult.
type ExpectationResult struct {
	Success bool `json:"success"`
	// ExpectationConfig echoes the expectation; nil when its
	// include_config kwarg is false.
	ExpectationConfig *ExpectationConfig `json:"expectation_config,omitempty"`
	Result            Object             `json:"result"`
	Meta              Object             `json:"meta"`
	ExceptionInfo     ExceptionInfo      `json:"exception_info"`
}

// ExpectationConfig is an expectation as it appears inside a result.
type ExpectationConfig struct {
	ExpectationType string `json:"expectation_type"`
	Kwargs          Object `json:"kwargs"`
	Meta            Object `json:"meta"`
}

// ExceptionInfo says whether evaluating the expectation failed (a missing
// column, for example) and why.
type ExceptionInfo struct {
	RaisedException    bool    `json:"raised_exception"`
	ExceptionMessage   *string `json:"exception_message"`
	ExceptionTraceback *string `json:"exception_traceback"`
}

// Type returns the expectation type, or "" without a config.
func (r ExpectationResult) Type() string {
	if r.ExpectationConfig == nil {
		return ""
	}
	return r.ExpectationConfig.ExpectationType
}

// Column returns the column kwarg, or "" for table expectations.
func (r ExpectationResult) Column() string {
	if r.ExpectationConfig == nil {
		return ""
	}
	s, _ := r.ExpectationConfig.Kwargs.String("column")
	return s
}

// UnexpectedCount returns result.unexpected_count when present.
func (r ExpectationResult) UnexpectedCount() (int, bool) { return r.Result.Int("unexpected_count") }

// Observed returns result.observed_value when present.
func (r ExpectationResult) Observed() (any, bool) { return r.Result.Get("observed_value") }

// Failed returns the results that did not succeed, in suite order.
func (s *SuiteResult) Failed() []ExpectationResult {
	var out []ExpectationResult
	for _, r := range s.Results {
		if !r.Success {
			out = append(out, r)
		}
	}
	return out
}

// MarshalIndent renders the result as indented JSON, as written to files.
func (s *SuiteResult) MarshalIndent() ([]byte, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("validation: encode result: %w", err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("validation: encode result: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// ParseResult reads a validation result document. Unknown top-level fields
// are kept out; errors wrap ErrResult.
func ParseResult(data []byte) (*SuiteResult, error) {
	var s SuiteResult
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrResult, err)
	}
	if s.Results == nil {
		return nil, fmt.Errorf("%w: results is missing", ErrResult)
	}
	return &s, nil
}
