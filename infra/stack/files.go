package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Errors about the files the stack is built from.
var (
	// ErrStateMachine reports a missing or unusable retraining ASL file.
	ErrStateMachine = errors.New("infra: state machine definition")
	// ErrAssets reports functions without a built bootstrap.
	ErrAssets = errors.New("infra: function code not built")
)

var placeholderRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// Placeholders returns the distinct ${Name} placeholders of an ASL
// definition, sorted.
func Placeholders(asl string) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(asl, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

// readStateMachine reads the ASL file and checks that it is JSON and that
// the stack fills every placeholder it uses: CloudFormation would
// otherwise deploy a machine whose tasks name "${Something}".
func readStateMachine(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist (set -c %s=FILE to use another)", ErrStateMachine, path, KeyStateMachineFile)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrStateMachine, err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("%w: %s is not a JSON object: %w", ErrStateMachine, path, err)
	}
	if _, ok := v["StartAt"]; !ok {
		return "", fmt.Errorf("%w: %s has no StartAt", ErrStateMachine, path)
	}
	subs := Substitutions()
	var unknown []string
	for _, p := range Placeholders(string(b)) {
		if _, ok := subs[p]; !ok {
			unknown = append(unknown, "${"+p+"}")
		}
	}
	if len(unknown) > 0 {
		known := make([]string, 0, len(subs))
		for k := range subs {
			known = append(known, k)
		}
		sort.Strings(known)
		return "", fmt.Errorf("%w: %s uses %s, which the stack does not fill (it fills %s)",
			ErrStateMachine, path, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return string(b), nil
}

// functionAssets returns the code directory of every function. A function
// without <BuildDir>/<name>/bootstrap is an error, unless the config allows
// placeholders, in which case it gets a stand-in that fails every
// invocation and is listed in missing.
func functionAssets(cfg Config) (dirs map[string]string, missing []string, err error) {
	dirs = map[string]string{}
	for _, f := range Functions {
		dir := filepath.Join(cfg.BuildDir, f.Name)
		info, statErr := os.Stat(filepath.Join(dir, "bootstrap"))
		switch {
		case statErr == nil && info.Mode().IsRegular():
			abs, err := filepath.Abs(dir)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %w", ErrAssets, err)
			}
			dirs[f.Name] = abs
		case statErr == nil || errors.Is(statErr, fs.ErrNotExist):
			missing = append(missing, f.Name)
		default:
			return nil, nil, fmt.Errorf("%w: %w", ErrAssets, statErr)
		}
	}
	if len(missing) == 0 {
		return dirs, nil, nil
	}
	if !cfg.PlaceholderAssets {
		return nil, nil, fmt.Errorf("%w: no %s for %s: run `make build` first, or pass -c %s=true to synthesize without them",
			ErrAssets, filepath.Join(cfg.BuildDir, "<name>", "bootstrap"), joinNames(missing), KeyPlaceholderAssets)
	}
	dir, err := placeholderDir()
	if err != nil {
		return nil, nil, err
	}
	for _, name := range missing {
		dirs[name] = dir
	}
	return dirs, missing, nil
}

// placeholderBootstrap is the stand-in code of a function not yet built:
// deployed by mistake, it fails loudly at init.
const placeholderBootstrap = "#!/bin/sh\necho 'steward: this function was deployed without its code; run make build and deploy again' >&2\nexit 1\n"

func placeholderDir() (string, error) {
	dir := filepath.Join(os.TempDir(), "steward-placeholder-bootstrap")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: placeholder: %w", ErrAssets, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(placeholderBootstrap), 0o755); err != nil {
		return "", fmt.Errorf("%w: placeholder: %w", ErrAssets, err)
	}
	return dir, nil
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
