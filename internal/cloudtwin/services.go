package cloudtwin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SecretsManager is the Secrets Manager endpoint (JSON 1.1): it answers
// GetSecretValue for the secrets it holds, by ARN or name.
type SecretsManager struct {
	IAM     *IAM
	mu      sync.Mutex
	secrets map[string]string // ARN -> SecretString
}

// Put stores a secret under its ARN.
func (s *SecretsManager) Put(arn, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secrets == nil {
		s.secrets = map[string]string{}
	}
	s.secrets[arn] = value
}

// lookup finds a secret by ARN or by name (an ARN's name part without
// its six-character suffix).
func (s *SecretsManager) lookup(id string) (string, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.secrets[id]; ok {
		return id, v, true
	}
	for arn, v := range s.secrets {
		if secretName(arn) == id {
			return arn, v, true
		}
	}
	return "", "", false
}

// secretName is the name of a secret's ARN: its resource part without
// the six characters Secrets Manager appends.
func secretName(arn string) string {
	_, name, _ := strings.Cut(arn, ":secret:")
	if i := strings.LastIndex(name, "-"); i > 0 {
		name = name[:i]
	}
	return name
}

func (s *SecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		jsonError(w, "1.1", http.StatusBadRequest, "UnknownOperationException", "the twin answers GetSecretValue only")
		return
	}
	var in struct{ SecretId string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.SecretId == "" {
		jsonError(w, "1.1", http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	arn, value, ok := s.lookup(in.SecretId)
	if !ok {
		arn = in.SecretId
	}
	if _, err := s.IAM.Authorize(r, "secretsmanager", "secretsmanager:GetSecretValue", arn); err != nil {
		jsonError(w, "1.1", http.StatusBadRequest, "AccessDeniedException", err.Error())
		return
	}
	if !ok {
		jsonError(w, "1.1", http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	jsonReply(w, "1.1", map[string]any{
		"ARN": arn, "Name": secretName(arn), "SecretString": value,
		"VersionId": "00000000-0000-4000-8000-000000000001", "VersionStages": []string{"AWSCURRENT"},
		"CreatedDate": float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
	})
}

// Email is one message SES accepted.
type Email struct {
	Sender    string // the function that sent it
	MessageID string
	From      string
	To        []string
	Subject   string
	Text      string
	HTML      string
	Tags      map[string]string
}

// SES is the SES v2 endpoint (REST JSON): it accepts SendEmail with
// simple content and keeps the messages.
type SES struct {
	IAM *IAM
	mu  sync.Mutex
	out []Email
}

// Sent returns the messages accepted so far.
func (s *SES) Sent() []Email {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Email(nil), s.out...)
}

func (s *SES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	restError := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		restError(http.StatusNotFound, "NotFoundException", "the twin answers SendEmail only")
		return
	}
	type content struct{ Data, Charset string }
	var in struct {
		FromEmailAddress string
		Destination      struct{ ToAddresses, CcAddresses, BccAddresses []string }
		Content          struct {
			Simple *struct {
				Subject content
				Body    struct{ Text, Html *content }
			}
		}
		EmailTags []struct{ Name, Value string }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		restError(http.StatusBadRequest, "BadRequestException", "body: "+err.Error())
		return
	}
	identity := in.FromEmailAddress
	if i := strings.LastIndex(identity, "<"); i >= 0 {
		identity = strings.TrimSuffix(identity[i+1:], ">")
	}
	if s.IAM.d.SenderIdentity != identity && !strings.HasSuffix(identity, "@"+s.IAM.d.SenderIdentity) {
		restError(http.StatusBadRequest, "MessageRejected", "Email address is not verified. The following identities failed the check: "+identity)
		return
	}
	res := "arn:aws:ses:" + s.IAM.d.Region + ":" + s.IAM.d.Account + ":identity/" + s.IAM.d.SenderIdentity
	who, err := s.IAM.Authorize(r, "ses", "ses:SendEmail", res)
	if err != nil {
		restError(http.StatusForbidden, "AccessDeniedException", err.Error())
		return
	}
	to := append(append(append([]string(nil), in.Destination.ToAddresses...), in.Destination.CcAddresses...), in.Destination.BccAddresses...)
	switch {
	case in.Content.Simple == nil:
		restError(http.StatusBadRequest, "BadRequestException", "the twin accepts Content.Simple only")
		return
	case len(to) == 0:
		restError(http.StatusBadRequest, "BadRequestException", "Destination has no address")
		return
	case in.Content.Simple.Body.Text == nil && in.Content.Simple.Body.Html == nil:
		restError(http.StatusBadRequest, "BadRequestException", "Body has neither Text nor Html")
		return
	}
	e := Email{Sender: who, MessageID: newID(), From: in.FromEmailAddress, To: to, Subject: in.Content.Simple.Subject.Data, Tags: map[string]string{}}
	if b := in.Content.Simple.Body.Text; b != nil {
		e.Text = b.Data
	}
	if b := in.Content.Simple.Body.Html; b != nil {
		e.HTML = b.Data
	}
	for _, t := range in.EmailTags {
		e.Tags[t.Name] = t.Value
	}
	s.mu.Lock()
	s.out = append(s.out, e)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": e.MessageID})
}

// TaskResult is how a waiting task was answered.
type TaskResult struct {
	Caller  string // the function that answered
	Token   string
	Success bool
	Output  json.RawMessage // of SendTaskSuccess
	Error   string          // of SendTaskFailure
	Cause   string
}

// Execution is a started execution.
type Execution struct {
	Caller, ARN, Name string
	Input             json.RawMessage
}

// StepFunctions is the Step Functions endpoint (JSON 1.0) of the
// retraining state machine: tasks wait on tokens (Wait), which
// SendTaskSuccess or SendTaskFailure answer once; a token that is not
// waiting is TaskDoesNotExist, as on AWS. StartExecution is recorded.
type StepFunctions struct {
	IAM        *IAM
	mu         sync.Mutex
	waiting    map[string]bool
	results    []TaskResult
	executions []Execution
}

// Wait makes a task wait on token.
func (s *StepFunctions) Wait(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting == nil {
		s.waiting = map[string]bool{}
	}
	s.waiting[token] = true
}

// Results returns the answers so far.
func (s *StepFunctions) Results() []TaskResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TaskResult(nil), s.results...)
}

// Executions returns the executions started so far.
func (s *StepFunctions) Executions() []Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Execution(nil), s.executions...)
}

func (s *StepFunctions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	var in struct {
		TaskToken, Output, Error, Cause string `json:",omitempty"`
		StateMachineArn, Name, Input    string `json:",omitempty"`
	}
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		jsonError(w, "1.0", http.StatusBadRequest, "SerializationException", "body: "+fmt.Sprint(err))
		return
	}
	machine := s.IAM.d.StateMachineARN()
	switch op {
	case "SendTaskSuccess", "SendTaskFailure":
		who, err := s.IAM.Authorize(r, "states", "states:"+op, machine)
		if err != nil {
			jsonError(w, "1.0", http.StatusBadRequest, "AccessDeniedException", err.Error())
			return
		}
		if op == "SendTaskSuccess" && !json.Valid([]byte(in.Output)) {
			jsonError(w, "1.0", http.StatusBadRequest, "InvalidOutput", "output is not JSON")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.waiting[in.TaskToken] {
			jsonError(w, "1.0", http.StatusBadRequest, "TaskDoesNotExist", "Task does not exist anymore")
			return
		}
		delete(s.waiting, in.TaskToken)
		res := TaskResult{Caller: who, Token: in.TaskToken, Success: op == "SendTaskSuccess", Error: in.Error, Cause: in.Cause}
		if res.Success {
			res.Output = json.RawMessage(in.Output)
		}
		s.results = append(s.results, res)
		jsonReply(w, "1.0", struct{}{})
	case "StartExecution":
		who, err := s.IAM.Authorize(r, "states", "states:StartExecution", in.StateMachineArn)
		if err != nil {
			jsonError(w, "1.0", http.StatusBadRequest, "AccessDeniedException", err.Error())
			return
		}
		if in.StateMachineArn != machine {
			jsonError(w, "1.0", http.StatusBadRequest, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+in.StateMachineArn+"'")
			return
		}
		arn := strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":" + in.Name
		s.mu.Lock()
		s.executions = append(s.executions, Execution{Caller: who, ARN: arn, Name: in.Name, Input: json.RawMessage(in.Input)})
		s.mu.Unlock()
		jsonReply(w, "1.0", map[string]any{"executionArn": arn, "startDate": float64(time.Now().Unix())})
	default:
		jsonError(w, "1.0", http.StatusBadRequest, "UnknownOperationException", "the twin answers SendTaskSuccess, SendTaskFailure and StartExecution")
	}
}

// Event is one entry EventBridge accepted.
type Event struct {
	Caller                                   string
	Source, DetailType, Detail, EventBusName string
}

// EventBridge is the EventBridge endpoint (JSON 1.1): PutEvents on
// Steward's bus.
type EventBridge struct {
	IAM    *IAM
	mu     sync.Mutex
	events []Event
}

// Events returns the entries accepted so far.
func (e *EventBridge) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

func (e *EventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		jsonError(w, "1.1", http.StatusBadRequest, "UnknownOperationException", "the twin answers PutEvents only")
		return
	}
	var in struct {
		Entries []struct{ Source, DetailType, Detail, EventBusName string }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, "1.1", http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	d := e.IAM.d
	var res []string
	for _, en := range in.Entries {
		bus := en.EventBusName
		if bus == "" {
			bus = "default"
		}
		if i := strings.LastIndex(bus, "event-bus/"); i >= 0 {
			bus = bus[i+len("event-bus/"):]
		}
		res = append(res, "arn:aws:events:"+d.Region+":"+d.Account+":event-bus/"+bus)
	}
	who, err := e.IAM.Authorize(r, "events", "events:PutEvents", res...)
	if err != nil {
		jsonError(w, "1.1", http.StatusBadRequest, "AccessDeniedException", err.Error())
		return
	}
	out := make([]map[string]string, len(in.Entries))
	e.mu.Lock()
	for i, en := range in.Entries {
		e.events = append(e.events, Event{Caller: who, Source: en.Source, DetailType: en.DetailType, Detail: en.Detail, EventBusName: en.EventBusName})
		out[i] = map[string]string{"EventId": newID()}
	}
	e.mu.Unlock()
	jsonReply(w, "1.1", map[string]any{"FailedEntryCount": 0, "Entries": out})
}

// Unsupported answers every request of a service the twin does not
// emulate (CloudWatch), so that no call ever reaches AWS.
func Unsupported(w http.ResponseWriter, r *http.Request) {
	jsonError(w, "1.0", http.StatusBadRequest, "UnknownOperationException", "the cloud twin does not emulate this service")
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
