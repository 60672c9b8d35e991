package registry

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Status is where a task is in its life cycle, with ClearML's names.
type Status string

// Task statuses. Publishing and Unknown exist in ClearML's vocabulary; Atrium never sets them
// itself but accepts tasks that carry them.
const (
	StatusCreated    Status = "created"
	StatusQueued     Status = "queued"
	StatusInProgress Status = "in_progress"
	StatusStopped    Status = "stopped"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusPublishing Status = "publishing"
	StatusPublished  Status = "published"
	StatusClosed     Status = "closed"
	StatusUnknown    Status = "unknown"
)

// System tags with a meaning to the registry.
const (
	TagHidden      = "hidden"      // hides a project or task from listings without search_hidden
	TagDefault     = "default"     // marks a workspace's default queue
	TagDataset     = "dataset"     // marks dataset tasks and the projects that hold them
	TagDevelopment = "development" // set by the SDK on tasks run from a developer's machine
)

// DatasetsFolder is the project path segment under which the SDK keeps datasets.
const DatasetsFolder = ".datasets"

// DefaultQueueName is the name of the queue created in every workspace.
const DefaultQueueName = "default"

// Project is a node of a workspace's project tree. Name is the full path ("a/b/c"),
// Basename the last segment; ParentID is empty for a top-level project.
type Project struct {
	ID                       string
	WorkspaceID              string
	Name                     string
	Basename                 string
	ParentID                 string
	Description              string
	UserID                   string
	Tags                     []string
	SystemTags               []string
	DefaultOutputDestination string
	CreatedAt                time.Time
	LastUpdate               time.Time
}

// Hidden reports whether the project carries the hidden system tag.
func (p Project) Hidden() bool { return hasTag(p.SystemTags, TagHidden) }

// IsDataset reports whether the project holds datasets, which access rules govern as
// their own type: it carries the dataset system tag, or it is a ".datasets" folder or
// below one (the SDK keeps each dataset in "<project>/.datasets/<name>").
func (p Project) IsDataset() bool {
	return hasTag(p.SystemTags, TagDataset) || slices.Contains(strings.Split(p.Name, "/"),
		DatasetsFolder)
}

// Task is one ClearML task. The fields clients filter and sort on are columns; the
// free-form sections clients write (script, hyperparams, configuration, runtime,
// execution, models, container, output) live in Doc, a JSON object kept as sent.
type Task struct {
	ID            string
	WorkspaceID   string
	Seq           int64 // insertion order in the workspace; listings use it as tie-breaker
	ProjectID     string
	UserID        string
	Name          string
	Type          string
	Status        Status
	StatusReason  string
	StatusMessage string
	EnqueueStatus Status // the status a queued task returns to when dequeued
	Comment       string
	ParentID      string
	QueueID       string // execution.queue, kept as a column for the queue logic
	Tags          []string
	SystemTags    []string
	LastWorker    string
	LastIteration int64
	EventCount    int64
	Doc           json.RawMessage

	CreatedAt       time.Time
	StartedAt       time.Time
	CompletedAt     time.Time
	PublishedAt     time.Time
	StatusChangedAt time.Time
	LastUpdate      time.Time
}

// Hidden reports whether the task carries the hidden system tag.
func (t Task) Hidden() bool { return hasTag(t.SystemTags, TagHidden) }

// TaskTypes are the task types ClearML accepts.
var TaskTypes = []string{"training", "testing", "inference", "data_processing", "application",
	"monitor", "controller", "optimizer", "service", "qc", "custom"}

// TaskSections are the free-form task fields clients write whole.
var TaskSections = []string{"script", "hyperparams", "configuration", "runtime", "execution",
	"models", "container", "output"}

// Model is a stored model: a URI and what describes it. Design, labels and metadata live
// in Doc.
type Model struct {
	ID          string
	WorkspaceID string
	Name        string
	ProjectID   string
	TaskID      string
	ParentID    string
	UserID      string
	URI         string
	Framework   string
	Comment     string
	Tags        []string
	SystemTags  []string
	Ready       bool
	Doc         json.RawMessage
	CreatedAt   time.Time
	LastUpdate  time.Time
}

// ModelSections are the free-form model fields clients write whole.
var ModelSections = []string{"design", "labels", "metadata"}

// Queue is a named, ordered list of tasks waiting for an agent.
type Queue struct {
	ID          string
	WorkspaceID string
	Name        string
	UserID      string
	Tags        []string
	SystemTags  []string
	CreatedAt   time.Time
	LastUpdate  time.Time
	Entries     []QueueEntry // filled by listings that ask for them
}

// QueueEntry is one task waiting in a queue.
type QueueEntry struct {
	TaskID  string
	AddedAt time.Time
}

// Worker is an agent that registered itself. It expires Timeout after its last activity.
type Worker struct {
	ID           string
	WorkspaceID  string
	UserID       string
	IP           string
	Queues       []string
	Tags         []string
	SystemTags   []string
	TaskID       string
	Timeout      time.Duration
	RegisteredAt time.Time
	LastActivity time.Time
	LastReport   time.Time
	MachineStats json.RawMessage
}

// Event types the registry gives meaning to; any other type is stored as sent.
const (
	EventLog    = "log"
	EventScalar = "training_stats_scalar"
	EventImage  = "training_debug_image"
	EventPlot   = "plot"
	EventVector = "training_stats_vector"
)

// Event is one task event: a log line, a scalar value, or anything else a client
// reports. Doc is the event as sent.
type Event struct {
	ID          int64
	WorkspaceID string
	TaskID      string
	Type        string
	At          time.Time
	Iter        int64
	Metric      string
	Variant     string
	Value       *float64
	URL         string
	Doc         json.RawMessage
}
