package cli

import "github.com/rtaudit/rtaudit/agent/declared"

// manifestPositions gives SARIF the manifest file of each declared
// container and the line of its entry (else of its pod's document), when
// the declared specs came from manifest files; nil otherwise. Pods read
// from stdin have no file.
func manifestPositions(src declared.Source) func(ns, pod, ctr string) (string, int, bool) {
	ix, ok := src.(*declared.Index)
	if !ok || ix == nil {
		return nil
	}
	return func(ns, pod, ctr string) (string, int, bool) {
		p, ok := ix.Position(ns, pod)
		if !ok || p.File == "-" {
			return "", 0, false
		}
		return p.File, p.ContainerLine(ctr), true
	}
}
