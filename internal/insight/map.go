package insight

import (
	"maps"
	"slices"
)

// Tile is a region on the map: a rectangle placed at the region's approximate
// centre, coloured by the share of its structures with a crisis exercise this
// year. A schematic map (no borders drawn): it needs no geographic data, keeps
// every region the same size to read and click, and puts the overseas regions
// in a row of their own.
type Tile struct {
	X, Y        int
	Short, Name string
	Share       int
	Known       bool // the share has a source
	Step        int  // 0 to 4 on the colour scale
	Link        string
}

// Region centres (longitude, latitude, approximate) and short labels (ISO 3166-2
// codes of the regions; ISO 3166-1 codes overseas), by INSEE region code.
var centres = map[string]struct {
	short    string
	lon, lat float64
}{
	"11": {"IDF", 2.5, 48.7}, "24": {"CVL", 1.7, 47.5}, "27": {"BFC", 4.8, 47.2}, "28": {"NOR", 0.1, 49.1},
	"32": {"HDF", 2.8, 50.0}, "44": {"GES", 5.6, 48.7}, "52": {"PDL", -0.8, 47.5}, "53": {"BRE", -2.8, 48.2},
	"75": {"NAQ", 0.2, 45.2}, "76": {"OCC", 2.1, 43.7}, "84": {"ARA", 4.5, 45.5}, "93": {"PAC", 6.1, 43.9},
	"94": {"COR", 9.1, 42.1},
}

// overseas regions in the order of their INSEE codes.
var overseas = []struct{ code, short string }{{"01", "GP"}, {"02", "MQ"}, {"03", "GF"}, {"04", "RE"}, {"06", "YT"}}

// regionMap places the national view's rows on the map: mainland regions by
// their centre, overseas regions in a row below. Rows whose code is not a
// region's (fictional regions of the demo) are left to the table.
func regionMap(rows []Line) (mainland, outre []Tile) {
	byCode := map[string]Line{}
	for _, r := range rows {
		byCode[r.Code] = r
	}
	tile := func(r Line, short string, x, y int) Tile {
		t := Tile{X: x, Y: y, Short: short, Name: r.Name, Link: r.Link, Known: r.ExerciseWith != nil, Share: r.ExerciseShare}
		t.Step = min(t.Share/20, 4)
		return t
	}
	for _, code := range slices.Sorted(maps.Keys(centres)) {
		c := centres[code]
		if r, ok := byCode[code]; ok {
			// 44 px per degree of longitude, 62 per degree of latitude, tiles 64 × 44.
			mainland = append(mainland, tile(r, c.short, int((c.lon+5.2)*44)-32, int((51.3-c.lat)*62)-22))
		}
	}
	for i, o := range overseas {
		if r, ok := byCode[o.code]; ok {
			outre = append(outre, tile(r, o.short, 20+i*96, 0))
		}
	}
	return mainland, outre
}
