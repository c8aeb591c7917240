using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace QuayGateway.Tests.Architecture;

/// <summary>
/// Which namespace uses which, read from a compiled assembly: every type a type names in its base type, interfaces,
/// fields, signatures, attributes, locals and IL. Compiled code, not source, so parent-namespace lookups, global usings
/// and fully qualified names cannot hide a dependency. Nested and compiler-generated types (lambdas, async state
/// machines) count for the namespace of the type that declares them. What the compiler copies away (a const's value,
/// <c>nameof</c>) never reaches IL: <see cref="ReadSource"/> finds those in the source, and <see cref="Union"/> joins both.
/// </summary>
public sealed partial class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, string>> _edges = new(StringComparer.Ordinal);

    /// <summary>Namespaces used by each namespace, with one example "Type → Type" for each edge.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, string>> Edges => _edges;

    public IEnumerable<string> Namespaces => _edges.Keys;

    public static NamespaceGraph Read(string assemblyPath, Func<string, bool> include)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var graph = new NamespaceGraph();
        var reader = new Reader(md, pe, include);
        foreach (var handle in md.TypeDefinitions)
        {
            var from = reader.NamespaceOf(handle);
            if (from is null || !include(from))
            {
                continue;
            }
            var fromName = reader.NameOf(handle);
            graph._edges.TryAdd(from, new Dictionary<string, string>(StringComparer.Ordinal));
            foreach (var (ns, name) in reader.Uses(handle))
            {
                if (ns != from && include(ns))
                {
                    graph._edges[from].TryAdd(ns, $"{fromName} → {name}");
                    graph._edges.TryAdd(ns, new Dictionary<string, string>(StringComparer.Ordinal));
                }
            }
        }
        return graph;
    }

    /// <summary>Groups of namespaces that reach each other (strongly connected components with more than one member).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        // Tarjan's algorithm; the graphs are small.
        var index = 0;
        var indices = new Dictionary<string, int>();
        var lowLinks = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<IReadOnlyList<string>>();

        void Visit(string v)
        {
            indices[v] = lowLinks[v] = index++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in _edges[v].Keys)
            {
                if (!indices.TryGetValue(w, out var wIndex))
                {
                    Visit(w);
                    lowLinks[v] = Math.Min(lowLinks[v], lowLinks[w]);
                }
                else if (onStack.Contains(w))
                {
                    lowLinks[v] = Math.Min(lowLinks[v], wIndex);
                }
            }
            if (lowLinks[v] == indices[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                } while (w != v);
                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    result.Add(component);
                }
            }
        }

        foreach (var v in _edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!indices.ContainsKey(v))
            {
                Visit(v);
            }
        }
        return result;
    }

    /// <summary>A cycle told as its edges, each with an example, for a failure message a person can act on.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var members = cycle.ToHashSet(StringComparer.Ordinal);
        var lines = from ns in cycle
                    from edge in _edges[ns]
                    where members.Contains(edge.Key)
                    select $"  {ns} → {edge.Key}   ({edge.Value})";
        return string.Join('\n', lines);
    }

    private sealed class Reader(MetadataReader md, PEReader pe, Func<string, bool> include)
    {
        private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value);

        private readonly NamespaceProvider _provider = new(md);

        public string? NamespaceOf(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            while (type.IsNested)
            {
                type = md.GetTypeDefinition(type.GetDeclaringType());
            }
            var ns = md.GetString(type.Namespace);
            var name = md.GetString(type.Name);
            if (name.StartsWith('<'))
            {
                return null; // <Module>, <PrivateImplementationDetails>
            }
            return ns.Length == 0 ? "(global)" : ns;
        }

        public string NameOf(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            while (type.IsNested)
            {
                type = md.GetTypeDefinition(type.GetDeclaringType());
            }
            return md.GetString(type.Name);
        }

        public IEnumerable<(string Namespace, string Name)> Uses(TypeDefinitionHandle handle)
        {
            var found = new List<(string, string)>();
            var type = md.GetTypeDefinition(handle);
            Add(found, type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
            {
                Add(found, md.GetInterfaceImplementation(i).Interface);
            }
            AddAttributes(found, type.GetCustomAttributes());
            foreach (var p in type.GetGenericParameters())
            {
                foreach (var c in md.GetGenericParameter(p).GetConstraints())
                {
                    Add(found, md.GetGenericParameterConstraint(c).Type);
                }
            }
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                found.AddRange(field.DecodeSignature(_provider, null));
                AddAttributes(found, field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var property = md.GetPropertyDefinition(p);
                AddAttributes(found, property.GetCustomAttributes());
            }
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                var signature = method.DecodeSignature(_provider, null);
                found.AddRange(signature.ReturnType);
                foreach (var parameter in signature.ParameterTypes)
                {
                    found.AddRange(parameter);
                }
                AddAttributes(found, method.GetCustomAttributes());
                foreach (var p in method.GetParameters())
                {
                    AddAttributes(found, md.GetParameter(p).GetCustomAttributes());
                }
                if (method.RelativeVirtualAddress != 0)
                {
                    AddBody(found, pe.GetMethodBody(method.RelativeVirtualAddress));
                }
            }
            return found.Where(f => include(f.Item1));
        }

        private void AddAttributes(List<(string, string)> found, CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
            {
                Add(found, md.GetCustomAttribute(a).Constructor);
            }
        }

        private void AddBody(List<(string, string)> found, MethodBodyBlock body)
        {
            if (!body.LocalSignature.IsNil)
            {
                foreach (var local in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(_provider, null))
                {
                    found.AddRange(local);
                }
            }
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                short value = il.ReadByte();
                if (value == 0xFE)
                {
                    value = (short)(0xFE00 | il.ReadByte());
                }
                var op = OpCodesByValue[value];
                switch (op.OperandType)
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget:
                    case OperandType.ShortInlineI:
                    case OperandType.ShortInlineVar: il.Offset += 1; break;
                    case OperandType.InlineVar: il.Offset += 2; break;
                    case OperandType.InlineI8:
                    case OperandType.InlineR: il.Offset += 8; break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32(); // read before Offset: `Offset += 4 * ReadInt32()` would read Offset first
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineType:
                    case OperandType.InlineTok:
                    case OperandType.InlineMethod:
                    case OperandType.InlineField:
                        Add(found, MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    default: il.Offset += 4; break;
                }
            }
        }

        private void Add(List<(string, string)> found, EntityHandle handle)
        {
            if (handle.IsNil)
            {
                return;
            }
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                case HandleKind.TypeReference:
                case HandleKind.TypeSpecification:
                    found.AddRange(_provider.Of(handle));
                    break;
                case HandleKind.MethodDefinition:
                    Add(found, md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    Add(found, md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    Add(found, member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        var signature = member.DecodeMethodSignature(_provider, null);
                        found.AddRange(signature.ReturnType);
                        foreach (var parameter in signature.ParameterTypes)
                        {
                            found.AddRange(parameter);
                        }
                    }
                    else
                    {
                        found.AddRange(member.DecodeFieldSignature(_provider, null));
                    }
                    break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Add(found, spec.Method);
                    foreach (var argument in spec.DecodeSignature(_provider, null))
                    {
                        found.AddRange(argument);
                    }
                    break;
            }
        }
    }

    /// <summary>Decodes signatures into the namespaces (and type names) they mention, generic arguments included.</summary>
    private sealed class NamespaceProvider(MetadataReader md) : ISignatureTypeProvider<ImmutableArray<(string, string)>, object?>
    {
        private static readonly ImmutableArray<(string, string)> None = [];

        public ImmutableArray<(string, string)> Of(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => GetTypeFromDefinition(md, (TypeDefinitionHandle)handle, 0),
            HandleKind.TypeReference => GetTypeFromReference(md, (TypeReferenceHandle)handle, 0),
            HandleKind.TypeSpecification => GetTypeFromSpecification(md, null, (TypeSpecificationHandle)handle, 0),
            _ => None,
        };

        public ImmutableArray<(string, string)> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeDefinition(handle);
            while (type.IsNested)
            {
                type = reader.GetTypeDefinition(type.GetDeclaringType());
            }
            var ns = reader.GetString(type.Namespace);
            var name = reader.GetString(type.Name);
            // Compiler-generated helpers (anonymous types, collection expressions, <PrivateImplementationDetails>)
            // belong to no one's layer.
            return ns.Length == 0 && name.StartsWith('<') ? None : [(ns.Length == 0 ? "(global)" : ns, name)];
        }

        public ImmutableArray<(string, string)> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                type = reader.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
            }
            var ns = reader.GetString(type.Namespace);
            return [(ns.Length == 0 ? "(global)" : ns, reader.GetString(type.Name))];
        }

        public ImmutableArray<(string, string)> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public ImmutableArray<(string, string)> GetGenericInstantiation(ImmutableArray<(string, string)> genericType, ImmutableArray<ImmutableArray<(string, string)>> typeArguments) =>
            genericType.AddRange(typeArguments.SelectMany(a => a));

        public ImmutableArray<(string, string)> GetArrayType(ImmutableArray<(string, string)> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<(string, string)> GetByReferenceType(ImmutableArray<(string, string)> elementType) => elementType;
        public ImmutableArray<(string, string)> GetPointerType(ImmutableArray<(string, string)> elementType) => elementType;
        public ImmutableArray<(string, string)> GetPinnedType(ImmutableArray<(string, string)> elementType) => elementType;
        public ImmutableArray<(string, string)> GetSZArrayType(ImmutableArray<(string, string)> elementType) => elementType;
        public ImmutableArray<(string, string)> GetModifiedType(ImmutableArray<(string, string)> modifier, ImmutableArray<(string, string)> unmodifiedType, bool isRequired) => unmodifiedType;
        public ImmutableArray<(string, string)> GetFunctionPointerType(MethodSignature<ImmutableArray<(string, string)>> signature) => None;
        public ImmutableArray<(string, string)> GetGenericMethodParameter(object? genericContext, int index) => None;
        public ImmutableArray<(string, string)> GetGenericTypeParameter(object? genericContext, int index) => None;
        public ImmutableArray<(string, string)> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
    }
}
