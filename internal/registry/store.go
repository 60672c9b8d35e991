package registry

import (
	"context"
	"time"
)

// TagFilter selects records by tags: at least one of Any (when Any is not empty), every
// one of All, and none of None.
type TagFilter struct {
	Any  []string
	All  []string
	None []string
}

// Empty reports whether the filter selects everything.
func (f TagFilter) Empty() bool { return len(f.Any)+len(f.All)+len(f.None) == 0 }

// Page is an offset and a limit; a zero Limit means "everything".
type Page struct {
	Limit  int
	Offset int
}

// ProjectFilter narrows Projects. Zero values mean "any".
type ProjectFilter struct {
	IDs       []string
	ParentIDs []string
	// TopLevel keeps only projects without a parent (ignored when ParentIDs is set).
	TopLevel      bool
	IncludeHidden bool
	// NameMatch, when set, keeps only the projects whose full name it accepts.
	NameMatch func(string) bool
	// Visible, when set, keeps only what the caller may read (see Visibility).
	Visible *Visibility
}

// TaskFilter narrows Tasks. Zero values mean "any".
type TaskFilter struct {
	IDs           []string
	ProjectIDs    []string
	Statuses      []Status
	Types         []string
	UserIDs       []string
	ParentIDs     []string
	IncludeHidden bool
	Tags          TagFilter
	SystemTags    TagFilter
	// NameMatch, when set, keeps only the tasks whose name it accepts. The store applies it
	// before paging, so pages stay exact.
	NameMatch func(string) bool
	// OrderBy lists ClearML sort keys ("created", "-last_update", ...); insertion order
	// breaks ties and is the default.
	OrderBy []string
	Page    Page
	// Visible, when set, keeps only what the caller may read (see Visibility).
	Visible *Visibility
}

// ModelFilter narrows Models. Zero values mean "any".
type ModelFilter struct {
	IDs        []string
	ProjectIDs []string
	TaskIDs    []string
	UserIDs    []string
	Frameworks []string
	URIs       []string
	Ready      *bool
	Tags       TagFilter
	SystemTags TagFilter
	NameMatch  func(string) bool
	OrderBy    []string
	Page       Page
	// Visible, when set, keeps only the models the caller may read.
	Visible *ReadScope
}

// ReadScope is what a caller may read of one object type, as the store renders it into a
// listing's WHERE clause: everything, or objects it owns, objects named one by one,
// objects in granted projects (or their descendants, found by the path prefix of the
// project's full name), or, with AnyProject, every object that is in some project. For a
// project, "its project" is the project itself.
type ReadScope struct {
	All        bool
	Owner      string
	IDs        []string
	Projects   []string
	AnyProject bool
}

// Visibility is what a listing of tasks or projects may show: Plain applies to ordinary
// objects, Dataset to datasets (the store's dataset flag; see Project.IsDataset).
type Visibility struct {
	Plain   ReadScope
	Dataset ReadScope
}

// EventFilter narrows Events of one task.
type EventFilter struct {
	TaskID string
	Types  []string
	// After and Before bound the (time, id) position, exclusive; zero means unbounded.
	After  EventCursor
	Before EventCursor
	// Descending returns the newest first.
	Descending bool
	Limit      int
}

// EventCursor is a position in a task's event stream.
type EventCursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether the cursor is unset.
func (c EventCursor) IsZero() bool { return c.At.IsZero() && c.ID == 0 }

// Store is what the registry needs from the database. Every method is scoped by
// workspace; methods that find nothing return an apperr NotFound error; a duplicate name
// is an apperr Conflict. Methods run inside the transaction carried by ctx, if any.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Publish(ctx context.Context, topic, id string)

	CreateProject(ctx context.Context, p Project) error
	Project(ctx context.Context, workspaceID, id string) (Project, error)
	ProjectByName(ctx context.Context, workspaceID, name string) (Project, error)
	Projects(ctx context.Context, workspaceID string, f ProjectFilter) ([]Project, error)
	// UpdateProject reads the project with a row lock, applies fn and writes the result.
	UpdateProject(ctx context.Context, workspaceID, id string, fn func(*Project) error) (
		Project, error)
	// RenameProjectTree replaces the name prefix oldName+"/" by newName+"/" in every
	// descendant.
	RenameProjectTree(ctx context.Context, workspaceID, oldName, newName string,
		at time.Time) error
	DeleteProjects(ctx context.Context, workspaceID string, ids []string) error
	// ProjectAncestry returns the project's id followed by its ancestors' up to the top,
	// and whether the project holds datasets; an unknown project gives no ids.
	ProjectAncestry(ctx context.Context, workspaceID, id string) (ids []string, dataset bool,
		err error)
	// ProjectContents counts the tasks and models in the given projects.
	ProjectContents(ctx context.Context, workspaceID string, ids []string) (
		tasks, models int, err error)
	// DetachProjectContents clears the project of every task and model in the given
	// projects and returns how many tasks it changed.
	DetachProjectContents(ctx context.Context, workspaceID string, ids []string) (int, error)

	// CreateTask inserts a task and gives it the next insertion number of the workspace.
	// Numbers are handed out in commit order, so paging in insertion order is stable while
	// other tasks are created.
	CreateTask(ctx context.Context, t *Task) error
	Task(ctx context.Context, workspaceID, id string) (Task, error)
	Tasks(ctx context.Context, workspaceID string, f TaskFilter) ([]Task, error)
	// UpdateTask reads the task with a row lock, applies fn and writes the result.
	UpdateTask(ctx context.Context, workspaceID, id string, fn func(*Task) error) (Task, error)
	// TouchTask sets a task's last update time without locking it.
	TouchTask(ctx context.Context, workspaceID, id string, at time.Time) error
	DeleteTask(ctx context.Context, workspaceID, id string) error
	// ClearTaskParent unsets the parent of every child of the task; it returns the count.
	ClearTaskParent(ctx context.Context, workspaceID, parentID string) (int, error)
	// ExistingTasks returns which of ids name tasks of the workspace.
	ExistingTasks(ctx context.Context, workspaceID string, ids []string) (map[string]bool, error)

	CreateModel(ctx context.Context, m Model) error
	Model(ctx context.Context, workspaceID, id string) (Model, error)
	Models(ctx context.Context, workspaceID string, f ModelFilter) ([]Model, error)
	UpdateModel(ctx context.Context, workspaceID, id string, fn func(*Model) error) (Model, error)
	DeleteModel(ctx context.Context, workspaceID, id string) error

	CreateQueue(ctx context.Context, q Queue) error
	Queue(ctx context.Context, workspaceID, id string) (Queue, error)
	// Queues lists every queue of the workspace, oldest first, without entries.
	Queues(ctx context.Context, workspaceID string) ([]Queue, error)
	UpdateQueue(ctx context.Context, workspaceID, id string, fn func(*Queue) error) (Queue, error)
	DeleteQueue(ctx context.Context, workspaceID, id string) error
	// QueueEntries returns the entries of the given queues in pop order.
	QueueEntries(ctx context.Context, workspaceID string, queueIDs []string) (
		map[string][]QueueEntry, error)
	// AddQueueEntry appends a task to a queue, or puts it first when front is set. A task
	// already in the queue is a Conflict.
	AddQueueEntry(ctx context.Context, workspaceID, queueID string, e QueueEntry,
		front bool) error
	// RemoveQueueEntry removes a task from a queue and reports whether it was there.
	RemoveQueueEntry(ctx context.Context, workspaceID, queueID, taskID string) (bool, error)
	// RemoveTaskEntries removes a task from every queue.
	RemoveTaskEntries(ctx context.Context, workspaceID, taskID string) error
	// MoveQueueEntry puts a queued task first or last and returns its new index.
	MoveQueueEntry(ctx context.Context, workspaceID, queueID, taskID string, front bool) (
		int, error)
	// PopQueueEntry removes and returns the first entry of a queue. Concurrent callers,
	// also on other replicas, never receive the same entry. ok is false when the queue is
	// empty.
	PopQueueEntry(ctx context.Context, workspaceID, queueID string) (e QueueEntry, ok bool,
		err error)

	// PutWorker inserts or replaces a worker.
	PutWorker(ctx context.Context, w Worker) error
	Worker(ctx context.Context, workspaceID, id string) (Worker, error)
	DeleteWorker(ctx context.Context, workspaceID, id string) error
	// Workers lists the workers active at or after since, by id.
	Workers(ctx context.Context, workspaceID string, since time.Time) ([]Worker, error)
	// DeleteExpiredWorkers removes workers whose timeout has passed at now.
	DeleteExpiredWorkers(ctx context.Context, workspaceID string, now time.Time) error

	// ReserveEvents adds n to a task's event count and raises its last iteration, unless the
	// count would pass limit; ok is false then, and nothing changes.
	ReserveEvents(ctx context.Context, workspaceID, taskID string, n int, lastIter int64,
		limit int64) (ok bool, err error)
	AddEvents(ctx context.Context, events []Event) error
	Events(ctx context.Context, workspaceID string, f EventFilter) ([]Event, error)
	CountEvents(ctx context.Context, workspaceID, taskID string, types []string) (int, error)
	// EventURLs lists the distinct URLs that a task's events point to.
	EventURLs(ctx context.Context, workspaceID, taskID string) ([]string, error)
	// DeleteEvents removes every event of a task and resets its count.
	DeleteEvents(ctx context.Context, workspaceID, taskID string) error
}
