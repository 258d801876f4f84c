//! Volumes made from one snapshot, as batch items: one keeps its name, several are
//! numbered so that each has its own (and a resumed batch can tell them apart).

use crate::backend::CreateVolumeRequest;
use crate::migrate::Action;

use super::Item;

/// The most volumes one create makes from a snapshot.
pub const MOST_VOLUMES: u64 = 100;

/// `count` creates of `request`; with more than one, named `base-1`, `base-2`, ….
pub fn numbered(request: &CreateVolumeRequest, base: &str, count: u64) -> Vec<Item> {
    if count == 1 {
        let label = request
            .name
            .clone()
            .unwrap_or_else(|| request.snapshot_id.clone());
        return vec![Item {
            label,
            action: Action::from(request.clone()),
        }];
    }
    (1..=count)
        .map(|number| {
            let name = format!("{base}-{number}");
            Item {
                label: name.clone(),
                action: Action::from(CreateVolumeRequest {
                    name: Some(name),
                    ..request.clone()
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_volumes_are_numbered_one_keeps_its_name() {
        let request = CreateVolumeRequest {
            snapshot_id: "s1".into(),
            name: Some("web".into()),
            description: None,
            size: Some(2),
            metadata: Default::default(),
        };
        let labels: Vec<String> = numbered(&request, "web", 3)
            .into_iter()
            .map(|item| item.label)
            .collect();
        assert_eq!(labels, ["web-1", "web-2", "web-3"]);
        let [one] = numbered(&request, "web", 1).try_into().unwrap();
        assert_eq!(one.label, "web");
        assert_eq!(one.action, Action::from(request));
    }
}
