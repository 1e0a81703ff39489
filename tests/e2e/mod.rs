mod classify;
mod config;
mod daemon;
mod demo;
mod fetch;
mod util;
