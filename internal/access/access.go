// Package access owns access rules and their evaluation: who may read or change which
// projects, tasks, models, datasets and queues. A caller's permission on an object is the
// strongest grant among the rules that name the caller or one of its groups and cover the
// object; a project rule covers the project, its sub-projects and everything in them; the
// owner of an object may change it; admins may do anything but change queues, which takes
// the Queue admins group. Rules are cached per workspace and dropped on change
// notifications, so a rule change takes effect on the next request on every replica.
package access

import (
	"context"
	"time"
)

// EntityType is a kind of object rules govern.
type EntityType string

// Entity types.
const (
	Project EntityType = "project"
	Task    EntityType = "task"
	Model   EntityType = "model"
	Dataset EntityType = "dataset"
	Queue   EntityType = "queue"
)

// EntityTypes lists the governed types in display order.
var EntityTypes = []EntityType{Project, Task, Model, Dataset, Queue}

// Permission is a level of access. The zero value is no access.
type Permission int

// Permission levels, weakest first.
const (
	None Permission = iota
	Read
	ReadWrite
)

// String is the API name of the permission.
func (p Permission) String() string {
	switch p {
	case Read:
		return "read"
	case ReadWrite:
		return "read_write"
	}
	return "none"
}

// ParsePermission reads "read" or "read_write".
func ParsePermission(s string) (Permission, bool) {
	switch s {
	case "read":
		return Read, true
	case "read_write":
		return ReadWrite, true
	}
	return None, false
}

// All is the entity id of a rule covering every object of its type.
const All = "*"

// Rule grants a permission on one object, or on all objects of a type, to users, service
// accounts and groups.
type Rule struct {
	ID          string
	WorkspaceID string
	Name        string
	Description string
	EntityType  EntityType
	EntityID    string // an object id, or All
	Permission  Permission
	Users       []string
	Groups      []string
	Autocreated bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Store is what the access service needs from the database.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Publish(ctx context.Context, topic, id string)

	AccessRules(ctx context.Context, workspaceID string) ([]Rule, error)
	SaveAccessRule(ctx context.Context, r Rule) error // insert or replace by id
	DeleteAccessRule(ctx context.Context, workspaceID, id string) error
	// MarkAccessDefaults records that a workspace got its default rules; it reports false
	// when that had happened before.
	MarkAccessDefaults(ctx context.Context, workspaceID string, at time.Time) (bool, error)
}
