package docs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"care/internal/platform/problem"
)

// MaxAttachment bounds one attached file (evidence, an audit report).
const MaxAttachment = 5 << 20

// attachmentTypes are the accepted file kinds: by extension, with the content types
// the file's first bytes may be sniffed as. Office files are zip archives.
var attachmentTypes = map[string]struct {
	contentType string
	sniffed     []string
}{
	".pdf":  {"application/pdf", []string{"application/pdf"}},
	".png":  {"image/png", []string{"image/png"}},
	".jpg":  {"image/jpeg", []string{"image/jpeg"}},
	".jpeg": {"image/jpeg", []string{"image/jpeg"}},
	".txt":  {"text/plain; charset=utf-8", []string{"text/plain; charset=utf-8"}},
	".csv":  {"text/csv; charset=utf-8", []string{"text/plain; charset=utf-8"}},
	".odt":  {"application/vnd.oasis.opendocument.text", []string{"application/zip"}},
	".ods":  {"application/vnd.oasis.opendocument.spreadsheet", []string{"application/zip"}},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", []string{"application/zip"}},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []string{"application/zip"}},
}

// Attachment describes a file a person attached: what is stored beside its bytes.
type Attachment struct {
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
}

// Attach checks an uploaded file and describes it: a printable base name, an
// extension we accept, content that looks like it, at most MaxAttachment bytes.
func Attach(name string, data []byte) (Attachment, error) {
	name = cleanName(name)
	if len(data) == 0 {
		return Attachment{}, problem.New(problem.Invalid, "file.error.empty")
	}
	if len(data) > MaxAttachment {
		return Attachment{}, problem.New(problem.TooLarge, "file.error.size", MaxAttachment>>20)
	}
	ext := filepath.Ext(name)
	kind, ok := attachmentTypes[strings.ToLower(ext)]
	if !ok {
		return Attachment{}, problem.New(problem.Invalid, "file.error.type", ext)
	}
	sniffed := http.DetectContentType(data)
	for _, s := range kind.sniffed {
		if sniffed == s {
			sum := sha256.Sum256(data)
			return Attachment{Filename: name, ContentType: kind.contentType, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
		}
	}
	return Attachment{}, problem.New(problem.Invalid, "file.error.content", ext)
}

// cleanName keeps a file's base name, printable and bounded.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	for utf8.RuneCountInString(name) > 120 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// Upload reads the file posted in field and hands its name and bytes to save. A
// request without a readable file is refused with missing (or passes, save not
// called, when missing is nil); one over the route's body limit with
// file.error.size when tooBig is set; an error of save that is a problem goes
// back as it is.
func Upload(r *http.Request, field string, missing error, tooBig bool, save func(name string, data []byte) error) error {
	err := readUpload(r, field, save)
	var big *http.MaxBytesError
	switch _, isProblem := problem.As(err); {
	case err == nil, isProblem:
		return err
	case tooBig && errors.As(err, &big):
		return problem.New(problem.TooLarge, "file.error.size", MaxAttachment>>20)
	}
	return missing
}

func readUpload(r *http.Request, field string, save func(name string, data []byte) error) error {
	file, header, err := r.FormFile(field)
	if err != nil {
		return err
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return err
	}
	return save(header.Filename, data)
}

// SendAttachment answers with a stored file as a download, never rendered inline.
func SendAttachment(w http.ResponseWriter, a Attachment, data []byte) {
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Filename))
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(data)
}
