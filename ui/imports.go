package ui

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
)

// importJob is a list import running in the background, for files large enough that
// the analyst wants to watch its progress (POST /lists/import?async=1).
type importJob struct {
	ID       string               `json:"id"`
	Status   string               `json:"status"` // running, done, failed
	Who      string               `json:"who"`
	Started  time.Time            `json:"started"`
	Finished time.Time            `json:"finished,omitzero"`
	Progress intercept.ListImport `json:"progress"`
	Error    string               `json:"error,omitempty"`
}

// imports keeps the latest import jobs (in memory: a restart forgets them, the
// entries they kept are journaled).
type imports struct {
	mu   sync.Mutex
	jobs map[string]*importJob
	ids  []string
	seq  atomic.Uint64
}

const keptImportJobs = 100

func (im *imports) start(who string) *importJob {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.jobs == nil {
		im.jobs = map[string]*importJob{}
	}
	j := &importJob{ID: "IM-" + strconv.FormatUint(im.seq.Add(1), 10) + "-" + strconv.FormatInt(time.Now().Unix(), 36),
		Status: "running", Who: who, Started: time.Now().UTC()}
	im.jobs[j.ID] = j
	im.ids = append(im.ids, j.ID)
	if len(im.ids) > keptImportJobs {
		delete(im.jobs, im.ids[0])
		im.ids = im.ids[1:]
	}
	return j
}

func (im *imports) update(j *importJob, f func(*importJob)) {
	im.mu.Lock()
	f(j)
	im.mu.Unlock()
}

func (im *imports) get(id string) (importJob, bool) {
	im.mu.Lock()
	defer im.mu.Unlock()
	j, ok := im.jobs[id]
	if !ok {
		return importJob{}, false
	}
	c := *j
	c.Progress.Errors = append([]intercept.LineError(nil), j.Progress.Errors...)
	return c, true
}

// runImport reads a CSV of list entries: good rows are listed (journaled a thousand
// at a time), bad rows are reported with their line and field.
func (s *Server) runImport(ctx context.Context, body []byte, by string, progress func(intercept.ListImport)) (intercept.ListImport, error) {
	keep := func(rows []intercept.ListRow) error {
		byTarget := map[string][]intercept.Entry{}
		for _, r := range rows {
			r.Entry.Added = time.Now().UTC()
			byTarget[r.Target] = append(byTarget[r.Target], r.Entry)
		}
		for t, es := range byTarget {
			if err := s.desk.ChangeList(ctx, "add", t, es...); err != nil {
				return err
			}
		}
		return nil
	}
	return intercept.ReadListCSV(bytes.NewReader(body), s.desk.Decoder().DefaultCountry, by, keep, progress)
}

// importLists imports a CSV: at once (200, or 207 when some rows were bad), or with
// ?async=1 in the background (202 with a job to follow at GET /lists/imports/{id}).
func (s *Server) importLists(c *fiber.Ctx) error {
	by := who(c)
	if !c.QueryBool("async") {
		imp, err := s.runImport(c.UserContext(), c.Body(), by, nil)
		if err != nil {
			return err
		}
		status := fiber.StatusOK
		if imp.Bad > 0 {
			status = fiber.StatusMultiStatus // some rows kept, some not
		}
		return c.Status(status).JSON(imp)
	}
	body := bytes.Clone(c.Body())
	j := s.imports.start(by)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		imp, err := s.runImport(ctx, body, by, func(p intercept.ListImport) {
			s.imports.update(j, func(j *importJob) { j.Progress = p })
		})
		s.imports.update(j, func(j *importJob) {
			j.Progress, j.Status, j.Finished = imp, "done", time.Now().UTC()
			if err != nil {
				j.Status, j.Error = "failed", err.Error()
			}
		})
		s.log.InfoContext(ctx, "list_import_finished", "id", j.ID, "who", by, "rows", imp.Rows, "kept", imp.Kept, "bad", imp.Bad, "err", err)
	}()
	snap, _ := s.imports.get(j.ID)
	c.Location("/api/v1/lists/imports/" + j.ID)
	return c.Status(fiber.StatusAccepted).JSON(snap)
}

func (s *Server) importJob(c *fiber.Ctx) error {
	j, ok := s.imports.get(c.Params("id"))
	if !ok {
		return fmt.Errorf("import %s (the latest %d are kept): %w", c.Params("id"), keptImportJobs, intercept.ErrNotFound)
	}
	return c.JSON(j)
}
