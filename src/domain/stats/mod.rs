//! Statistics over plain records (日报、周排、旬判、月结): "whether it is safe
//! is decided by the data, whether people are satisfied by the people".

pub mod figures;
pub mod record;

pub use figures::{AlertFigures, Counts, Figures, Ratio, change_permille, child_toward};
pub use record::{
    AlertRecord, CaseRecord, Category, EventActor, EventRecord, Mark, Rating, Reporter, Status,
    Tier,
};

#[cfg(test)]
mod tests;
