//! [`Map`]: a JSON object's members in their order, with a key index so that building one and
//! looking keys up take time linear in its size, whatever keys a peer chooses.

use std::collections::HashMap;

use super::Value;

/// Members past which a map keeps a key index: below it, a scan of the members is cheaper than
/// hashing.
const INDEX_FROM: usize = 16;

/// A JSON object's members, in the order their keys first appeared. A repeated key keeps its
/// first place and takes its last value, as `JSON.parse` reads it. Looking a key up, inserting
/// and building take constant time per member (a hash index with random keys past a few
/// members); removing is linear.
#[derive(Clone, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
    /// Where each key is in `entries`, once there are more than [`INDEX_FROM`].
    index: Option<HashMap<String, usize>>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map::default()
    }

    /// An empty map with room for `capacity` members.
    pub fn with_capacity(capacity: usize) -> Self {
        Map {
            entries: Vec::with_capacity(capacity),
            index: None,
        }
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k == key),
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let i = self.position(key)?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// The value under `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// Whether `key` is there.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`: in its place if it is there (the old value is returned), last
    /// otherwise.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        if let Some(slot) = self.position(&key).and_then(|i| self.entries.get_mut(i)) {
            return Some(std::mem::replace(&mut slot.1, value));
        }
        let i = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), i);
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() > INDEX_FROM {
            self.index = Some(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            );
        }
        None
    }

    /// Removes `key`, keeping the others in order; linear in the map's size.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        let (_, value) = self.entries.remove(i);
        if let Some(index) = &mut self.index {
            index.remove(key);
            for position in index.values_mut() {
                if *position > i {
                    *position -= 1;
                }
            }
        }
        Some(value)
    }

    /// The members, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The values, in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// Equal when both have the same keys with equal values, whatever their order (a JSON object's
/// meaning does not depend on it).
impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut map = Map::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<K: Into<String>> Extend<(K, Value)> for Map {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_keeps_its_place_and_takes_the_last_value() {
        let map: Map = [("b", Value::from(1)), ("a", 2.into()), ("b", 3.into())]
            .into_iter()
            .collect();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(map.get("b"), Some(&Value::from(3)));
    }

    #[test]
    fn the_index_follows_inserts_and_removals() {
        let mut map = Map::new();
        for i in 0..100 {
            map.insert(format!("k{i}"), Value::from(i));
        }
        assert!(map.index.is_some());
        assert_eq!(map.remove("k10"), Some(Value::from(10)));
        assert_eq!(map.get("k11"), Some(&Value::from(11)));
        assert_eq!(map.get("k99"), Some(&Value::from(99)));
        assert_eq!(map.len(), 99);
        assert_eq!(map.keys().nth(10), Some("k11"));
        assert_eq!(map.insert("k11", Value::Null), Some(Value::from(11)));
        assert_eq!(map.keys().nth(10), Some("k11"));
    }

    #[test]
    fn equality_ignores_order() {
        let a: Map = [("x", Value::from(1)), ("y", 2.into())]
            .into_iter()
            .collect();
        let b: Map = [("y", Value::from(2)), ("x", 1.into())]
            .into_iter()
            .collect();
        assert_eq!(a, b);
        let c: Map = [("x", Value::from(1))].into_iter().collect();
        assert_ne!(a, c);
    }
}
