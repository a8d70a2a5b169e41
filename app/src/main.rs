fn main() {
    println!("demo: skeleton");
}
