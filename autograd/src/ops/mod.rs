//! Op families: forward and backward of each family side by side.
