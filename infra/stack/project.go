package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"
	"go.yaml.in/yaml/v3"
)

// ErrProject reports a project configuration the stack cannot deploy.
var ErrProject = errors.New("infra: project configuration")

// The project configuration on AWS: the stack uploads steward.yaml, and
// the suite it names at the same path relative to it, under ConfigPrefix
// in the artifact bucket, and points every function at it with
// STEWARD_CONFIG=ConfigRef (read by internal/app/projectsource).
const (
	ConfigPrefix = "config/"
	ConfigKey    = ConfigPrefix + "steward.yaml"
	ConfigRef    = "artifact:" + ConfigKey
)

// ProjectFiles are the files of the project configuration, by key
// relative to ConfigPrefix ("steward.yaml", "testdata/suites/heart.json").
type ProjectFiles map[string][]byte

// Digest is a short digest of the files, keys included: the functions'
// descriptions carry it, so that a changed configuration updates every
// function and Lambda starts fresh environments that read it.
func (p ProjectFiles) Digest() string {
	h := sha256.New()
	for _, k := range p.Keys() {
		fmt.Fprintf(h, "%s\x00%d\x00", k, len(p[k]))
		h.Write(p[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Keys returns the keys, sorted.
func (p ProjectFiles) Keys() []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ReadProject reads the project configuration at file and the validation
// suite it names. The suite path must be relative and stay under the
// configuration's folder, as internal/app/projectsource requires to find
// it beside the configuration in the bucket. Errors wrap ErrProject and
// name the file and the field.
func ReadProject(file string) (ProjectFiles, error) {
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist: the functions need the project's steward.yaml (set -c %s=FILE to use another)", ErrProject, file, KeyProjectConfig)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProject, err)
	}
	var doc struct {
		Validation struct {
			Suite string `yaml:"suite"`
		} `yaml:"validation"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s is not YAML: %w", ErrProject, file, err)
	}
	files := ProjectFiles{path.Base(ConfigKey): raw}
	suite := doc.Validation.Suite
	if suite == "" {
		return files, nil
	}
	rel, err := underConfig(suite)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: validation.suite %q: %w", ErrProject, file, suite, err)
	}
	body, err := os.ReadFile(filepath.Join(filepath.Dir(file), filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: validation.suite %q: no such file beside the configuration", ErrProject, file, suite)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: validation.suite: %w", ErrProject, file, err)
	}
	files[rel] = body
	return files, nil
}

// underConfig returns p cleaned, in slash form, if it stays under the
// configuration's folder.
func underConfig(p string) (string, error) {
	s := filepath.ToSlash(p)
	if path.IsAbs(s) || filepath.IsAbs(p) {
		return "", errors.New("want a path relative to the configuration")
	}
	c := path.Clean(s)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", errors.New("want a path under the configuration's folder")
	}
	return c, nil
}

// projectConfiguration uploads the project files under ConfigPrefix. The
// upload never prunes: files other deployments or operators put under
// config/ stay. Its provider Lambda gets a role and log group of its own,
// like Steward's functions, rather than a managed policy.
func (s *Stack) projectConfiguration(files ProjectFiles) {
	logs := s.logGroup("ProjectConfigLogs", "/aws/lambda/"+s.Config.Prefix()+"-project-config")
	role := awsiam.NewRole(s.Stack, jsii.String("ProjectConfigRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Steward: uploads the project configuration to " + ConfigPrefix),
	})
	logs.GrantWrite(role)
	// CDK grants the provider read-write on the whole bucket; this Deny
	// keeps its puts and deletes under config/.
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:       awsiam.Effect_DENY,
		Actions:      jsii.Strings("s3:PutObject*", "s3:DeleteObject*"),
		NotResources: jsii.Strings(*s.Bucket.ArnForObjects(jsii.String(ConfigPrefix + "*"))),
	}))
	sources := make([]awss3deployment.ISource, 0, len(files))
	for _, key := range files.Keys() {
		sources = append(sources, awss3deployment.Source_Data(jsii.String(key), jsii.String(string(files[key])), nil))
	}
	s.ProjectConfig = awss3deployment.NewBucketDeployment(s.Stack, jsii.String("ProjectConfig"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket:    s.Bucket,
		DestinationKeyPrefix: jsii.String(ConfigPrefix),
		Sources:              &sources,
		Prune:                jsii.Bool(false),
		// The configuration stays when the stack goes, like the bucket.
		RetainOnDelete: jsii.Bool(true),
		Role:           role,
		LogGroup:       logs,
		MemoryLimit:    jsii.Number(256),
	})
	s.projectConfigRole = role
	s.projectDigest = files.Digest()
	awscdk.Tags_Of(s.ProjectConfig).Add(jsii.String("component"), jsii.String("project-config"), nil)
}
