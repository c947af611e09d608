/// A JSON object with Python-`dict` semantics: string keys kept in insertion order.
///
/// Setting an existing key replaces its value in place; a new key goes last; lookups are O(1) (objects of up to 8 keys are scanned).
/// Keys are told apart code point by code point, as Python compares `str`: `"caf\u{E9}"` and
/// `"cafe\u{301}"` are two keys, although Swift's `==` finds the strings canonically equivalent.
/// Equality and hashing take key order into account, since order is visible in the written JSON.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One entry of the object, as iteration yields it.
    public typealias Element = (key: String, value: JSONValue)

    /// The keys in insertion order.
    public private(set) var keys: [String]
    /// The values, in the same order as `keys`.
    public private(set) var values: [JSONValue]
    /// Every key's position, once the object has more than `linearSearchLimit` keys; empty
    /// before. A scalar record has a handful of keys, and comparing them one by one costs far
    /// less than hashing each and allocating a dictionary per record.
    private var indexByKey: [ScalarExactKey: Int]
    private static let linearSearchLimit = 8

    /// Creates an empty object.
    public init() {
        keys = []
        values = []
        indexByKey = [:]
    }

    /// Creates an object from key-value pairs, as Python's `dict(pairs)` and `json.loads` do.
    ///
    /// A repeated key overwrites the earlier value but keeps the position where it first appeared.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        self.init()
        for (key, value) in pairs {
            self[key] = value
        }
    }

    /// Creates an object from parallel arrays of keys and values (the parser's fast path).
    init(keys newKeys: ArraySlice<String>, values newValues: ArraySlice<JSONValue>) {
        keys = []
        values = []
        keys.reserveCapacity(newKeys.count)
        values.reserveCapacity(newValues.count)
        indexByKey = [:]
        for (key, value) in zip(newKeys, newValues) {
            self[key] = value
        }
    }

    /// Creates an object from a dictionary literal; a repeated key keeps its first position and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// The number of keys.
    public var count: Int { keys.count }

    /// Whether the object has no keys.
    public var isEmpty: Bool { keys.isEmpty }

    /// Whether `key` is present (Python's `key in dict`).
    public func contains(_ key: String) -> Bool {
        index(of: key) != nil
    }

    /// The position of `key`, compared Unicode scalar by scalar (as UTF-8 bytes).
    private func index(of key: String) -> Int? {
        guard indexByKey.isEmpty else { return indexByKey[ScalarExactKey(key)] }
        return keys.firstIndex { $0.utf8.elementsEqual(key.utf8) }
    }

    /// The value for `key`; setting keeps an existing key's position, appends a new key, and `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get {
            index(of: key).map { values[$0] }
        }
        set {
            if let newValue {
                if let index = index(of: key) {
                    values[index] = newValue
                } else {
                    keys.append(key)
                    values.append(newValue)
                    if !indexByKey.isEmpty {
                        indexByKey[ScalarExactKey(key)] = keys.count - 1
                    } else if keys.count > Self.linearSearchLimit {
                        for (position, key) in keys.enumerated() {
                            indexByKey[ScalarExactKey(key)] = position
                        }
                    }
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Sets `value` for `key` only when `key` is absent (Python's `dict.setdefault`); returns the value now stored.
    @discardableResult
    public mutating func setDefault(_ value: JSONValue, forKey key: String) -> JSONValue {
        if let index = index(of: key) {
            return values[index]
        }
        self[key] = value
        return value
    }

    /// Removes `key` and returns its value, or returns `nil` when it was absent (Python's `dict.pop(key, None)`).
    ///
    /// The keys after it move up one position; this costs O(count).
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = index(of: key) else { return nil }
        keys.remove(at: index)
        let removed = values.remove(at: index)
        if !indexByKey.isEmpty {
            indexByKey.removeValue(forKey: ScalarExactKey(key))
            for position in index..<keys.count {
                indexByKey[ScalarExactKey(keys[position])] = position
            }
        }
        return removed
    }

    /// Iterates the entries in insertion order.
    public func makeIterator() -> Iterator {
        Iterator(keys: keys, values: values)
    }

    /// Returns whether two objects have the same keys in the same order with equal values.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.keys == rhs.keys && lhs.values == rhs.values
    }

    /// Hashes the keys and values in order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        hasher.combine(values)
    }

    /// Yields an object's entries in insertion order.
    public struct Iterator: IteratorProtocol {
        /// One entry of the object.
        public typealias Element = JSONObject.Element

        private let keys: [String]
        private let values: [JSONValue]
        private var position = 0

        init(keys: [String], values: [JSONValue]) {
            self.keys = keys
            self.values = values
        }

        /// Returns the next entry, or `nil` after the last one.
        public mutating func next() -> Element? {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (key: keys[position], value: values[position])
        }
    }
}

/// A dictionary key for a string that equals only the same sequence of Unicode scalars.
///
/// Swift's `String` equality and hashing follow canonical equivalence, which would merge keys
/// that Python's `dict` keeps apart; comparing the UTF-8 bytes compares the scalars exactly.
private struct ScalarExactKey: Hashable {
    let string: String

    init(_ string: String) {
        self.string = string
    }

    static func == (lhs: ScalarExactKey, rhs: ScalarExactKey) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
