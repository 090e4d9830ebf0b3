declare global {
  namespace App {
    interface Error {
      code?: string;
    }
    interface Locals {
      locale: string;
    }
  }
}

export {};
