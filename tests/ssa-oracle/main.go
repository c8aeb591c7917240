// Command ssa-oracle replays a sequence of server-side-apply and update operations on one object with
// sigs.k8s.io/structured-merge-diff (the library the Kubernetes API server uses for field ownership) and prints
// the object and the ownership sets after each step. The schema is converted from a CRD's openAPIV3Schema the way
// the API server's type converter does it; metadata uses ObjectMeta's list and map types.
//
// Input (stdin): {"apiVersion": "...", "schema": {openAPIV3Schema}, "ops": [{"op": "apply"|"update",
// "manager": "...", "subresource": "status"?, "force": bool, "object": {...}}]}.
// Output (stdout): {"steps": [{"object": {...}, "managedFields": [...]} | {"conflict": {"message", "causes"}}]}.
//
// Build offline: GO111MODULE=off GOPATH=/usr/share/gocode go run tests/ssa-oracle/main.go < ops.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/structured-merge-diff/v4/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v4/merge"
	"sigs.k8s.io/structured-merge-diff/v4/schema"
	"sigs.k8s.io/structured-merge-diff/v4/typed"
	"sigs.k8s.io/structured-merge-diff/v4/value"
)

type op struct {
	Op          string                 `json:"op"`
	Manager     string                 `json:"manager"`
	Subresource string                 `json:"subresource,omitempty"`
	Force       bool                   `json:"force"`
	Object      map[string]interface{} `json:"object"`
}

type input struct {
	APIVersion string                 `json:"apiVersion"`
	Schema     map[string]interface{} `json:"schema"`
	Ops        []op                   `json:"ops"`
}

type entry struct {
	Manager     string          `json:"manager"`
	Operation   string          `json:"operation"`
	APIVersion  string          `json:"apiVersion"`
	Subresource string          `json:"subresource,omitempty"`
	FieldsType  string          `json:"fieldsType"`
	FieldsV1    json.RawMessage `json:"fieldsV1"`
}

type cause struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

type conflict struct {
	Message string  `json:"message"`
	Causes  []cause `json:"causes"`
}

type step struct {
	Object        map[string]interface{} `json:"object,omitempty"`
	ManagedFields []entry                `json:"managedFields,omitempty"`
	Conflict      *conflict              `json:"conflict,omitempty"`
}

const untypedAtomic = "__untyped_atomic_"
const untypedDeduced = "__untyped_deduced_"

func named(n string) schema.TypeRef { return schema.TypeRef{NamedType: &n} }

func scalar() schema.TypeRef {
	s := schema.Scalar("untyped")
	return schema.TypeRef{Inlined: schema.Atom{Scalar: &s}}
}

// convert follows k8s.io/kube-openapi's schemaconv: properties make a struct, additionalProperties its element
// type, x-kubernetes-map-type atomic an atomic map, x-kubernetes-list-type the list's relationship (atomic when
// absent), x-kubernetes-preserve-unknown-fields deduced unknown fields.
func convert(s map[string]interface{}) schema.TypeRef {
	t, _ := s["type"].(string)
	if s["x-kubernetes-int-or-string"] == true {
		return scalar()
	}
	switch t {
	case "object":
		m := &schema.Map{ElementRelationship: schema.Separable}
		if props, ok := s["properties"].(map[string]interface{}); ok {
			names := make([]string, 0, len(props))
			for name := range props {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				m.Fields = append(m.Fields, schema.StructField{Name: name, Type: convert(props[name].(map[string]interface{}))})
			}
		}
		if add, ok := s["additionalProperties"].(map[string]interface{}); ok {
			m.ElementType = convert(add)
		} else if s["x-kubernetes-preserve-unknown-fields"] == true || s["properties"] == nil {
			m.ElementType = named(untypedDeduced)
		}
		if s["x-kubernetes-map-type"] == "atomic" {
			m.ElementRelationship = schema.Atomic
		}
		return schema.TypeRef{Inlined: schema.Atom{Map: m}}
	case "array":
		l := &schema.List{ElementRelationship: schema.Atomic, ElementType: named(untypedDeduced)}
		if items, ok := s["items"].(map[string]interface{}); ok {
			l.ElementType = convert(items)
		}
		switch s["x-kubernetes-list-type"] {
		case "set":
			l.ElementRelationship = schema.Associative
		case "map":
			l.ElementRelationship = schema.Associative
			for _, k := range s["x-kubernetes-list-map-keys"].([]interface{}) {
				l.Keys = append(l.Keys, k.(string))
			}
		}
		return schema.TypeRef{Inlined: schema.Atom{List: l}}
	case "":
		if s["x-kubernetes-preserve-unknown-fields"] == true {
			return named(untypedDeduced)
		}
		return scalar()
	default:
		return scalar()
	}
}

func field(name string, t schema.TypeRef) schema.StructField { return schema.StructField{Name: name, Type: t} }

// objectMeta is the part of ObjectMeta's schema that decides ownership: labels and annotations are granular
// maps, finalizers a set, ownerReferences a map keyed by uid.
func objectMeta() schema.TypeRef {
	str := scalar()
	strMap := schema.TypeRef{Inlined: schema.Atom{Map: &schema.Map{ElementType: str, ElementRelationship: schema.Separable}}}
	ownerRef := schema.TypeRef{Inlined: schema.Atom{Map: &schema.Map{Fields: []schema.StructField{
		field("apiVersion", str), field("blockOwnerDeletion", str), field("controller", str), field("kind", str), field("name", str), field("uid", str),
	}}}}
	return schema.TypeRef{Inlined: schema.Atom{Map: &schema.Map{Fields: []schema.StructField{
		field("annotations", strMap),
		field("creationTimestamp", str),
		field("finalizers", schema.TypeRef{Inlined: schema.Atom{List: &schema.List{ElementType: str, ElementRelationship: schema.Associative}}}),
		field("generateName", str),
		field("generation", str),
		field("labels", strMap),
		field("name", str),
		field("namespace", str),
		field("ownerReferences", schema.TypeRef{Inlined: schema.Atom{List: &schema.List{ElementType: ownerRef, ElementRelationship: schema.Associative, Keys: []string{"uid"}}}}),
		field("resourceVersion", str),
		field("uid", str),
	}}}}
}

func buildSchema(crd map[string]interface{}) (*schema.Schema, schema.TypeRef) {
	root := convert(crd)
	m := root.Inlined.Map
	for i := range m.Fields {
		if m.Fields[i].Name == "metadata" {
			m.Fields[i].Type = objectMeta()
		}
	}
	atomicScalar := schema.Scalar("untyped")
	s := &schema.Schema{Types: []schema.TypeDef{
		{Name: "object", Atom: root.Inlined},
		{Name: untypedAtomic, Atom: schema.Atom{Scalar: &atomicScalar,
			List: &schema.List{ElementType: named(untypedAtomic), ElementRelationship: schema.Atomic},
			Map:  &schema.Map{ElementType: named(untypedAtomic), ElementRelationship: schema.Atomic}}},
		{Name: untypedDeduced, Atom: schema.Atom{Scalar: &atomicScalar,
			List: &schema.List{ElementType: named(untypedAtomic), ElementRelationship: schema.Atomic},
			Map:  &schema.Map{ElementType: named(untypedDeduced), ElementRelationship: schema.Separable}}},
	}}
	return s, named("object")
}

type identity struct {
	Manager     string `json:"manager"`
	Operation   string `json:"operation"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

func key(id identity) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// printManager is the API server's rendering of a manager in conflict messages (fieldmanager/internal/conflict.go).
func printManager(k string) string {
	var id identity
	if err := json.Unmarshal([]byte(k), &id); err != nil {
		return fmt.Sprintf("%q", k)
	}
	s := fmt.Sprintf("%q", id.Manager)
	if id.Subresource != "" {
		s = fmt.Sprintf("%s with subresource %q", s, id.Subresource)
	}
	if id.Operation == "Update" {
		return fmt.Sprintf("%s using %v", s, id.APIVersion)
	}
	return s
}

func conflictStatus(conflicts merge.Conflicts) *conflict {
	c := &conflict{}
	for _, x := range conflicts {
		c.Causes = append(c.Causes, cause{Reason: "FieldManagerConflict", Message: "conflict with " + printManager(x.Manager), Field: x.Path.String()})
	}
	if len(conflicts) == 1 {
		c.Message = fmt.Sprintf("Apply failed with 1 conflict: conflict with %v: %v", printManager(conflicts[0].Manager), conflicts[0].Path)
		return c
	}
	m := map[string][]fieldpath.Path{}
	for _, x := range conflicts {
		m[x.Manager] = append(m[x.Manager], x.Path)
	}
	managers := []string{}
	for k := range m {
		managers = append(managers, k)
	}
	sort.Strings(managers)
	lines := []string{}
	for _, k := range managers {
		lines = append(lines, fmt.Sprintf("conflicts with %v:", printManager(k)))
		for _, p := range m[k] {
			lines = append(lines, fmt.Sprintf("- %v", p))
		}
	}
	c.Message = fmt.Sprintf("Apply failed with %d conflicts: %s", len(conflicts), strings.Join(lines, "\n"))
	return c
}

type converter struct{}

func (converter) Convert(o *typed.TypedValue, _ fieldpath.APIVersion) (*typed.TypedValue, error) { return o, nil }
func (converter) IsMissingVersionError(error) bool                                                 { return false }

// withOnly keeps the given top-level fields (and apiVersion, kind, metadata.name/namespace).
func withOnly(obj map[string]interface{}, keep string) map[string]interface{} {
	out := map[string]interface{}{}
	for _, k := range []string{"apiVersion", "kind"} {
		if v, ok := obj[k]; ok {
			out[k] = v
		}
	}
	if meta, ok := obj["metadata"].(map[string]interface{}); ok {
		m := map[string]interface{}{}
		for _, k := range []string{"name", "namespace"} {
			if v, ok := meta[k]; ok {
				m[k] = v
			}
		}
		out["metadata"] = m
	}
	if v, ok := obj[keep]; ok {
		out[keep] = v
	}
	return out
}

func without(obj map[string]interface{}, drop string) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range obj {
		if k != drop {
			out[k] = v
		}
	}
	return out
}

func main() {
	var in input
	dec := json.NewDecoder(os.Stdin)
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		fail(err)
	}
	sc, tr := buildSchema(in.Schema)
	version := fieldpath.APIVersion(in.APIVersion)
	// What the API server strips from every manager's set (fieldmanager/internal/stripmeta.go).
	strip := fieldpath.NewSet(
		fieldpath.MakePathOrDie("apiVersion"), fieldpath.MakePathOrDie("kind"), fieldpath.MakePathOrDie("metadata"),
		fieldpath.MakePathOrDie("metadata", "name"), fieldpath.MakePathOrDie("metadata", "namespace"),
		fieldpath.MakePathOrDie("metadata", "creationTimestamp"), fieldpath.MakePathOrDie("metadata", "selfLink"),
		fieldpath.MakePathOrDie("metadata", "uid"), fieldpath.MakePathOrDie("metadata", "clusterName"),
		fieldpath.MakePathOrDie("metadata", "generation"), fieldpath.MakePathOrDie("metadata", "managedFields"),
		fieldpath.MakePathOrDie("metadata", "resourceVersion"))
	// The fields a write may not change: status on the main resource, everything else on /status
	// (the CRD strategies' GetResetFields).
	mainReset := map[fieldpath.APIVersion]*fieldpath.Set{version: fieldpath.NewSet(fieldpath.MakePathOrDie("status"))}
	statusReset := map[fieldpath.APIVersion]*fieldpath.Set{version: fieldpath.NewSet(
		fieldpath.MakePathOrDie("apiVersion"), fieldpath.MakePathOrDie("kind"), fieldpath.MakePathOrDie("metadata"), fieldpath.MakePathOrDie("spec"))}

	live := map[string]interface{}(nil)
	managers := fieldpath.ManagedFields{}
	var steps []step
	for _, o := range in.Ops {
		updater := &merge.Updater{Converter: converter{}, IgnoredFields: mainReset}
		if o.Subresource == "status" {
			updater.IgnoredFields = statusReset
		}
		liveObj := live
		if liveObj == nil {
			liveObj = map[string]interface{}{}
		}
		liveTyped := typedOf(liveObj, sc, tr)
		var next map[string]interface{}
		var err error
		switch o.Op {
		case "apply":
			config := without(o.Object, "status")
			if o.Subresource == "status" {
				config = withOnly(o.Object, "status")
			}
			id := key(identity{Manager: o.Manager, Operation: "Apply", Subresource: o.Subresource})
			var out *typed.TypedValue
			out, managers, err = updater.Apply(liveTyped, typedOf(config, sc, tr), version, managers, id, o.Force)
			if err != nil {
				if c, ok := err.(merge.Conflicts); ok {
					steps = append(steps, step{Conflict: conflictStatus(c)})
					managers = decode(live)
					continue
				}
				fail(err)
			}
			next = liveObj
			if out != nil {
				next = out.AsValue().Unstructured().(map[string]interface{})
			}
		case "update":
			proposed := o.Object
			if o.Subresource == "status" {
				proposed = without(liveObj, "status")
				if s, ok := o.Object["status"]; ok {
					proposed["status"] = s
				}
			} else {
				proposed = without(o.Object, "status")
				if s, ok := liveObj["status"]; ok {
					proposed["status"] = s
				}
			}
			self := "current-operation"
			var out *typed.TypedValue
			out, managers, err = updater.Update(liveTyped, typedOf(proposed, sc, tr), version, managers, self)
			if err != nil {
				fail(err)
			}
			id := key(identity{Manager: o.Manager, Operation: "Update", APIVersion: string(version), Subresource: o.Subresource})
			if vs, ok := managers[self]; ok {
				delete(managers, self)
				if prev, ok := managers[id]; ok {
					managers[id] = fieldpath.NewVersionedSet(vs.Set().Union(prev.Set()), vs.APIVersion(), vs.Applied())
				} else {
					managers[id] = vs
				}
			}
			next = out.AsValue().Unstructured().(map[string]interface{})
		default:
			fail(fmt.Errorf("unknown op %q", o.Op))
		}
		for id, vs := range managers {
			s := vs.Set().Difference(strip)
			if s.Empty() {
				delete(managers, id)
				continue
			}
			managers[id] = fieldpath.NewVersionedSet(s, vs.APIVersion(), vs.Applied())
		}
		live = next
		st := step{Object: live}
		for id, vs := range managers {
			var who identity
			_ = json.Unmarshal([]byte(id), &who)
			fields, err := vs.Set().ToJSON()
			if err != nil {
				fail(err)
			}
			st.ManagedFields = append(st.ManagedFields, entry{Manager: who.Manager, Operation: who.Operation, APIVersion: string(vs.APIVersion()),
				Subresource: who.Subresource, FieldsType: "FieldsV1", FieldsV1: fields})
		}
		sort.Slice(st.ManagedFields, func(i, j int) bool {
			p, q := st.ManagedFields[i], st.ManagedFields[j]
			if p.Operation != q.Operation {
				return p.Operation < q.Operation
			}
			if p.Manager != q.Manager {
				return p.Manager < q.Manager
			}
			return p.Subresource < q.Subresource
		})
		steps = append(steps, st)
		snapshot = managers
	}
	out, _ := json.MarshalIndent(map[string]interface{}{"steps": steps}, "", "  ")
	fmt.Println(string(out))
}

// snapshot keeps the managers of the last successful step, so a conflicting apply leaves them as they were.
var snapshot fieldpath.ManagedFields

func decode(_ map[string]interface{}) fieldpath.ManagedFields {
	copied := fieldpath.ManagedFields{}
	for k, v := range snapshot {
		copied[k] = v
	}
	return copied
}

func typedOf(obj map[string]interface{}, sc *schema.Schema, tr schema.TypeRef) *typed.TypedValue {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(obj); err != nil {
		fail(err)
	}
	v, err := value.FromJSON(buf.Bytes())
	if err != nil {
		fail(err)
	}
	tv, err := typed.AsTyped(v, sc, tr)
	if err != nil {
		fail(err)
	}
	return tv
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ssa-oracle:", err)
	os.Exit(1)
}
