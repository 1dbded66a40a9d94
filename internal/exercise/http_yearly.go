package exercise

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/xuri/excelize/v2"

	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/web"
)

// The yearly exercise view: its page, its API and its CSV and XLSX exports.

// yearlyRequest reads the node (?org=, else the caller's first node at the level
// of a GHT or above) and the year (?year=, else the current one) of a request.
func yearlyRequest(r *http.Request) (orgID int64, year int, err error) {
	if orgID, err = web.OrgParam(r); err != nil {
		return 0, 0, err
	}
	if orgID == 0 {
		orgID = YearlyNode(r.Context())
	}
	year, err = ParseYear(r.URL.Query().Get("year"), time.Now())
	return orgID, year, err
}

type yearlyCategoryJSON struct {
	Category     string `json:"category"`
	Total        int    `json:"total"`
	WithExercise int    `json:"with_exercise"`
}

type missingJSON struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	FINESS   string `json:"finess"`
	Category string `json:"category"`
	Parent   string `json:"parent"`
}

type yearlyJSON struct {
	Org          int64                `json:"org"`
	Year         int                  `json:"year"`
	Total        int                  `json:"total"`
	WithExercise int                  `json:"with_exercise"`
	ByCategory   []yearlyCategoryJSON `json:"by_category"`
	Missing      []missingJSON        `json:"missing"`
	MissingTotal int                  `json:"missing_total"`
	Limit        int                  `json:"limit"`
	Offset       int                  `json:"offset"`
}

func toYearlyJSON(y Yearly) yearlyJSON {
	return yearlyJSON{Org: y.Node.ID, Year: y.Year, Total: y.Total, WithExercise: y.WithExercise, MissingTotal: y.MissingTotal(), Limit: y.Limit, Offset: y.Offset,
		ByCategory: mapJSON(y.ByCategory, func(c YearlyCategory) yearlyCategoryJSON { return yearlyCategoryJSON(c) }),
		Missing:    mapJSON(y.Missing, func(m Missing) missingJSON { return missingJSON(m) })}
}

// APIYearly answers GET /api/v1/exercises/yearly?org=…&year=…: the establishments
// of the node's subtree with and without an exercise finished in the year, by
// category, and a page of the missing (limit, offset).
func (h *Handler) APIYearly(w http.ResponseWriter, r *http.Request) {
	orgID, year, err := yearlyRequest(r)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	limit, offset, err := web.Pagination(r, 100, 1000)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, _ int64) (yearlyJSON, error) {
		y, err := h.Exercises.Yearly(ctx, orgID, year, limit, offset)
		return toYearlyJSON(y), err
	})
}

// yearlyPageSize is how many of the missing the page lists; the exports hold all.
const yearlyPageSize = 200

type yearlyData struct {
	Yearly
	Chooser web.Chooser
	Years   []int
	More    int // missing not listed on the page
}

// Percent is the share of establishments with their exercise, rounded down.
func (d yearlyData) Percent() int {
	if d.Total == 0 {
		return 0
	}
	return d.WithExercise * 100 / d.Total
}

// YearlyPage shows the yearly exercise view of a node.
func (h *Handler) YearlyPage(w http.ResponseWriter, r *http.Request) {
	h.show(w, r, "exercise.yearly.title", "exercise-yearly", nil, func(v *web.View) error {
		orgID, year, err := yearlyRequest(r)
		if err != nil {
			return err
		}
		d := yearlyData{Yearly: Yearly{Year: year}}
		if orgID != 0 {
			if d.Yearly, err = h.Exercises.Yearly(r.Context(), orgID, year, yearlyPageSize, 0); err != nil {
				return err
			}
			d.More = d.MissingTotal() - len(d.Missing)
		}
		now := time.Now().UTC().Year()
		for y := now; y >= now-4; y-- {
			d.Years = append(d.Years, y)
		}
		if d.Chooser, err = h.Orgs.Chooser(r.Context(), fmt.Sprintf("/exercices/annuel?year=%d", year), d.Node, YearlyLevels...); err != nil {
			return err
		}
		v.Data = d
		return nil
	})
}

// yearlyExport reads the whole view for an export, its texts in French.
func (h *Handler) yearlyExport(w http.ResponseWriter, r *http.Request, ext, contentType string, write func(Yearly, i18n.Lang) ([]byte, error)) {
	orgID, year, err := yearlyRequest(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	y, err := h.Exercises.Yearly(r.Context(), orgID, year, -1, 0)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	out, err := write(y, i18n.FR)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exercice-annuel-%d-%d.%s"`, y.Node.ID, y.Year, ext))
	_, _ = w.Write(out)
}

// yearlyRows is the export's content: the counts by category, then the missing.
func yearlyRows(y Yearly, lang i18n.Lang) (counts, missing [][]string) {
	counts = [][]string{{lang.T("exercise.yearly.category"), lang.T("exercise.yearly.total"), lang.T("exercise.yearly.with"), lang.T("exercise.yearly.without")}}
	for _, c := range y.ByCategory {
		counts = append(counts, []string{lang.T("exercise.yearly.cat." + c.Category), fmt.Sprint(c.Total), fmt.Sprint(c.WithExercise), fmt.Sprint(c.Without())})
	}
	counts = append(counts, []string{lang.T("exercise.yearly.all"), fmt.Sprint(y.Total), fmt.Sprint(y.WithExercise), fmt.Sprint(y.MissingTotal())})
	missing = [][]string{{lang.T("exercise.yearly.establishment"), "FINESS", lang.T("exercise.yearly.category"), lang.T("exercise.yearly.parent")}}
	for _, m := range y.Missing {
		missing = append(missing, []string{m.Name, m.FINESS, lang.T("exercise.yearly.cat." + m.Category), m.Parent})
	}
	return counts, missing
}

// YearlyCSV exports the missing establishments of the view as CSV, after the
// title line and the counts.
func (h *Handler) YearlyCSV(w http.ResponseWriter, r *http.Request) {
	h.yearlyExport(w, r, "csv", "text/csv; charset=utf-8", func(y Yearly, lang i18n.Lang) ([]byte, error) {
		counts, missing := yearlyRows(y, lang)
		rows := append([][]string{{lang.T("exercise.yearly.export_title", y.Node.Name, y.Year)}}, counts...)
		rows = append(append(rows, []string{}), missing...)
		var buf bytes.Buffer
		err := docs.WriteCSV(&buf, rows)
		return buf.Bytes(), err
	})
}

// YearlyXLSX exports the view as a workbook: the counts, and the missing.
func (h *Handler) YearlyXLSX(w http.ResponseWriter, r *http.Request) {
	h.yearlyExport(w, r, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", func(y Yearly, lang i18n.Lang) ([]byte, error) {
		counts, missing := yearlyRows(y, lang)
		f := excelize.NewFile()
		defer f.Close()
		sheets := []string{lang.T("exercise.yearly.sheet_counts"), lang.T("exercise.yearly.sheet_missing")}
		_ = f.SetSheetName("Sheet1", sheets[0])
		if _, err := f.NewSheet(sheets[1]); err != nil {
			return nil, err
		}
		for i, rows := range [][][]string{counts, missing} {
			cells := make([][]any, len(rows))
			for j, row := range rows {
				for _, c := range row {
					cells[j] = append(cells[j], c)
				}
			}
			if err := docs.WriteRows(f, sheets[i], cells); err != nil {
				return nil, err
			}
		}
		var buf bytes.Buffer
		err := f.Write(&buf)
		return buf.Bytes(), err
	})
}
