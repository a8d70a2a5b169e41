fn main() {
    println!("deployer: skeleton");
}
