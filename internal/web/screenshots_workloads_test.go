package web_test

import (
	"context"
	"fmt"
	"testing"
)

// seededWorkloads names what seedWorkloads made; empty when the UI has no registry.
type seededWorkloads struct {
	project string // a project with many tasks
	task    string // a task with parameters, artifacts and a log
}

// seedWorkloads fills the Workspace objects pages through the JSON API: a project tree,
// tasks in every status, models, queues with waiting tasks and an agent.
func seedWorkloads(t *testing.T, h *harness) seededWorkloads {
	t.Helper()
	admin := h.admin()
	if !registryUI(t, admin) {
		return seededWorkloads{}
	}
	joinQueueAdmins(t, admin)
	member := h.member(admin, "ada.lovelace@example.com", "Ada Lovelace")
	var out seededWorkloads
	out.project = admin.newObject("projects.create", map[string]any{"name": "Vision/Detection",
		"description": "Object detection experiments"})
	admin.newObject("projects.create", map[string]any{"name": "Vision/Segmentation/Medical"})
	nlp := member.newObject("projects.create", map[string]any{"name": "NLP summarization"})
	admin.newObject("projects.create", map[string]any{"name": ".datasets/coco",
		"system_tags": []string{"hidden"}})
	gpu := admin.newObject("queues.create", map[string]any{"name": "gpu-a100"})
	admin.newObject("queues.create", map[string]any{"name": "cpu-batch"})
	admin.call("workers.register", map[string]any{"worker": "gpu-node-01:gpu0",
		"queues": []string{gpu}})
	admin.call("workers.register", map[string]any{"worker": "gpu-node-02:gpu0",
		"queues": []string{gpu}})

	out.task = admin.newObject("tasks.create", map[string]any{
		"name": "yolov8 fine-tune on warehouse images (lr sweep 3/8)", "type": "training",
		"project": out.project, "comment": "Baseline with mosaic augmentation off.",
		"tags": []string{"baseline", "yolov8"},
		"script": map[string]any{"repository": "https://github.com/acme/vision.git",
			"branch": "main", "version_num": "9f1c2e4b7a", "entry_point": "train/detect.py",
			"working_dir": "."},
		"hyperparams": map[string]any{
			"Args": map[string]any{
				"lr":     map[string]any{"section": "Args", "name": "lr", "value": "0.003", "type": "float"},
				"epochs": map[string]any{"section": "Args", "name": "epochs", "value": "50", "type": "int"},
				"batch":  map[string]any{"section": "Args", "name": "batch", "value": "32", "type": "int"}},
			"General": map[string]any{
				"imgsz": map[string]any{"section": "General", "name": "imgsz", "value": "640"}}},
		"configuration": map[string]any{"OmegaConf": map[string]any{"name": "OmegaConf",
			"value": "model: yolov8s", "type": "yaml"}}})
	admin.call("tasks.started", map[string]any{"task": out.task})
	admin.call("tasks.add_or_update_artifacts", map[string]any{"task": out.task,
		"artifacts": []any{
			map[string]any{"key": "confusion-matrix", "type": "image",
				"uri": "s3://acme-models/vision/detection/yolov8.3f2a/artifacts/confusion.png"},
			map[string]any{"key": "metrics", "type": "pandas",
				"uri": "s3://acme-models/vision/detection/yolov8.3f2a/artifacts/metrics.csv.gz"}}})
	var lines []string
	for i := 1; i <= 14; i++ {
		lines = append(lines, fmt.Sprintf("Epoch %d/50: box_loss=%.3f cls_loss=%.3f mAP50=%.3f",
			i, 1.9-float64(i)*0.07, 1.2-float64(i)*0.05, 0.21+float64(i)*0.03))
	}
	admin.logLines(out.task, append([]string{"ClearML Task: created new task id=" + out.task,
		"Ultralytics YOLOv8.0.196 Python-3.11.6 torch-2.1.0 CUDA:0 (NVIDIA A100-SXM4-40GB)"},
		lines...)...)
	admin.newObject("models.create", map[string]any{"name": "yolov8s warehouse best",
		"uri":       "s3://acme-models/vision/detection/yolov8.3f2a/models/best.pt",
		"framework": "PyTorch", "task": out.task, "project": out.project, "ready": true})
	admin.newObject("models.create", map[string]any{"name": "yolov8s warehouse last",
		"uri":       "s3://acme-models/vision/detection/yolov8.3f2a/models/last.pt",
		"framework": "PyTorch", "task": out.task, "project": out.project})

	statuses := []string{"", "completed", "failed", "stopped", "queued", "", "completed"}
	for i, st := range statuses {
		id := admin.newObject("tasks.create", map[string]any{"project": out.project,
			"name": fmt.Sprintf("yolov8 lr sweep %d/8", i+4), "type": "training"})
		switch st {
		case "queued":
			admin.call("tasks.enqueue", map[string]any{"task": id, "queue": gpu})
		case "completed", "failed", "stopped":
			admin.call("tasks.started", map[string]any{"task": id})
			admin.call("tasks."+st, map[string]any{"task": id, "force": true})
		}
	}
	summ := member.newObject("tasks.create", map[string]any{"project": nlp,
		"name": "t5-small summarization", "type": "training"})
	member.call("tasks.enqueue", map[string]any{"task": summ, "queue": gpu})
	member.newObject("models.create", map[string]any{"name": "t5-small cnn-dailymail",
		"framework": "Transformers", "uri": "gs://ml-ada/t5-small/"})
	h.srv.Identity.FlushActivity(context.Background())
	return out
}

// shootWorkloads saves the Workspace objects pages.
func shootWorkloads(t *testing.T, ctx context.Context, dir string, h *harness,
	w seededWorkloads, suffix string) {
	t.Helper()
	if w.project == "" {
		return
	}
	shoot(t, ctx, dir, "projects-"+suffix, h.url+"/settings/projects", "projects-heading")
	shoot(t, ctx, dir, "project-tasks-"+suffix, h.url+"/settings/projects/"+w.project,
		"tasks-heading")
	shoot(t, ctx, dir, "task-"+suffix, h.url+"/settings/tasks/"+w.task, "task-heading")
	shoot(t, ctx, dir, "models-"+suffix, h.url+"/settings/models", "models-heading")
	shoot(t, ctx, dir, "queues-"+suffix, h.url+"/settings/queues", "queues-heading")
}
