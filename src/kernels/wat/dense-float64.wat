(module
  (type (;0;) (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type (;1;) (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (func (;0;) (type 0) (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 f64 f64 v128 v128 v128 v128 v128 v128 v128 v128 v128)
    local.get 5
    i32.const 3
    i32.shl
    local.set 20
    i32.const 0
    local.set 9
    block  ;; label = @1
      local.get 9
      i32.const 0
      i32.add
      local.get 1
      i32.lt_s
      i32.eqz
      br_if 0 (;@1;)
      loop  ;; label = @2
        local.get 0
        local.get 9
        local.get 2
        i32.mul
        i32.const 3
        i32.shl
        i32.add
        local.set 14
        local.get 14
        local.get 2
        i32.const 3
        i32.shl
        i32.add
        local.set 19
        local.get 7
        local.get 9
        local.get 2
        i32.mul
        i32.const 4
        i32.shl
        i32.add
        local.set 13
        local.get 3
        local.set 16
        local.get 14
        local.set 10
        block  ;; label = @3
          local.get 10
          i32.const 7
          i32.add
          local.get 19
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 10
            f64.load
            local.set 21
            local.get 13
            local.get 21
            f64.store
            local.get 13
            local.get 16
            i32.store offset=8
            local.get 13
            local.get 21
            f64.const 0x0p+0 (;=0;)
            f64.ne
            i32.const 4
            i32.shl
            i32.add
            local.set 13
            local.get 16
            local.get 20
            i32.add
            local.set 16
            local.get 10
            i32.const 8
            i32.add
            local.set 10
            local.get 10
            i32.const 7
            i32.add
            local.get 19
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 8
        local.get 9
        i32.const 2
        i32.shl
        i32.add
        local.get 13
        i32.store
        local.get 9
        i32.const 1
        i32.add
        local.set 9
        local.get 9
        i32.const 0
        i32.add
        local.get 1
        i32.lt_s
        br_if 0 (;@2;)
      end
    end
    i32.const 0
    local.set 11
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 15
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 4
            local.get 17
            i32.add
            v128.load offset=16
            local.set 25
            local.get 4
            local.get 17
            i32.add
            v128.load offset=32
            local.set 26
            local.get 4
            local.get 17
            i32.add
            v128.load offset=48
            local.set 27
            local.get 4
            local.get 17
            i32.add
            v128.load offset=64
            local.set 28
            local.get 4
            local.get 17
            i32.add
            v128.load offset=80
            local.set 29
            local.get 4
            local.get 17
            i32.add
            v128.load offset=96
            local.set 30
            local.get 4
            local.get 17
            i32.add
            v128.load offset=112
            local.set 31
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 25
                local.get 23
                local.get 16
                v128.load offset=16
                f64x2.mul
                f64x2.add
                local.set 25
                local.get 26
                local.get 23
                local.get 16
                v128.load offset=32
                f64x2.mul
                f64x2.add
                local.set 26
                local.get 27
                local.get 23
                local.get 16
                v128.load offset=48
                f64x2.mul
                f64x2.add
                local.set 27
                local.get 28
                local.get 23
                local.get 16
                v128.load offset=64
                f64x2.mul
                f64x2.add
                local.set 28
                local.get 29
                local.get 23
                local.get 16
                v128.load offset=80
                f64x2.mul
                f64x2.add
                local.set 29
                local.get 30
                local.get 23
                local.get 16
                v128.load offset=96
                f64x2.mul
                f64x2.add
                local.set 30
                local.get 31
                local.get 23
                local.get 16
                v128.load offset=112
                f64x2.mul
                f64x2.add
                local.set 31
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 15
            local.get 17
            i32.add
            local.get 25
            v128.store offset=16
            local.get 15
            local.get 17
            i32.add
            local.get 26
            v128.store offset=32
            local.get 15
            local.get 17
            i32.add
            local.get 27
            v128.store offset=48
            local.get 15
            local.get 17
            i32.add
            local.get 28
            v128.store offset=64
            local.get 15
            local.get 17
            i32.add
            local.get 29
            v128.store offset=80
            local.get 15
            local.get 17
            i32.add
            local.get 30
            v128.store offset=96
            local.get 15
            local.get 17
            i32.add
            local.get 31
            v128.store offset=112
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 16
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 7
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 4
            local.get 17
            i32.add
            v128.load offset=16
            local.set 25
            local.get 4
            local.get 17
            i32.add
            v128.load offset=32
            local.set 26
            local.get 4
            local.get 17
            i32.add
            v128.load offset=48
            local.set 27
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 25
                local.get 23
                local.get 16
                v128.load offset=16
                f64x2.mul
                f64x2.add
                local.set 25
                local.get 26
                local.get 23
                local.get 16
                v128.load offset=32
                f64x2.mul
                f64x2.add
                local.set 26
                local.get 27
                local.get 23
                local.get 16
                v128.load offset=48
                f64x2.mul
                f64x2.add
                local.set 27
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 15
            local.get 17
            i32.add
            local.get 25
            v128.store offset=16
            local.get 15
            local.get 17
            i32.add
            local.get 26
            v128.store offset=32
            local.get 15
            local.get 17
            i32.add
            local.get 27
            v128.store offset=48
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 8
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 3
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 4
            local.get 17
            i32.add
            v128.load offset=16
            local.set 25
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 25
                local.get 23
                local.get 16
                v128.load offset=16
                f64x2.mul
                f64x2.add
                local.set 25
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 15
            local.get 17
            i32.add
            local.get 25
            v128.store offset=16
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 4
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 1
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 2
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 0
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            f64.load
            local.set 22
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 22
                local.get 12
                f64.load
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                f64.load
                f64.mul
                f64.add
                local.set 22
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 22
            f64.store
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 1
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end)
  (func (;1;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 f64 f64 v128 v128 v128 v128 v128 v128 v128 v128 v128)
    local.get 5
    i32.const 3
    i32.shl
    local.set 20
    i32.const 0
    local.set 9
    block  ;; label = @1
      local.get 9
      i32.const 0
      i32.add
      local.get 1
      i32.lt_s
      i32.eqz
      br_if 0 (;@1;)
      loop  ;; label = @2
        local.get 0
        local.get 9
        local.get 2
        i32.mul
        i32.const 3
        i32.shl
        i32.add
        local.set 14
        local.get 14
        local.get 2
        i32.const 3
        i32.shl
        i32.add
        local.set 19
        local.get 7
        local.get 9
        local.get 2
        i32.mul
        i32.const 4
        i32.shl
        i32.add
        local.set 13
        local.get 3
        local.set 16
        local.get 14
        local.set 10
        block  ;; label = @3
          local.get 10
          i32.const 7
          i32.add
          local.get 19
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 10
            f64.load
            local.set 21
            local.get 13
            local.get 21
            f64.store
            local.get 13
            local.get 16
            i32.store offset=8
            local.get 13
            local.get 21
            f64.const 0x0p+0 (;=0;)
            f64.le
            i32.eqz
            i32.const 4
            i32.shl
            i32.add
            local.set 13
            local.get 16
            local.get 20
            i32.add
            local.set 16
            local.get 10
            i32.const 8
            i32.add
            local.set 10
            local.get 10
            i32.const 7
            i32.add
            local.get 19
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 8
        local.get 9
        i32.const 2
        i32.shl
        i32.add
        local.get 13
        i32.store
        local.get 9
        i32.const 1
        i32.add
        local.set 9
        local.get 9
        i32.const 0
        i32.add
        local.get 1
        i32.lt_s
        br_if 0 (;@2;)
      end
    end
    i32.const 0
    local.set 11
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 15
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 4
            local.get 17
            i32.add
            v128.load offset=16
            local.set 25
            local.get 4
            local.get 17
            i32.add
            v128.load offset=32
            local.set 26
            local.get 4
            local.get 17
            i32.add
            v128.load offset=48
            local.set 27
            local.get 4
            local.get 17
            i32.add
            v128.load offset=64
            local.set 28
            local.get 4
            local.get 17
            i32.add
            v128.load offset=80
            local.set 29
            local.get 4
            local.get 17
            i32.add
            v128.load offset=96
            local.set 30
            local.get 4
            local.get 17
            i32.add
            v128.load offset=112
            local.set 31
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 25
                local.get 23
                local.get 16
                v128.load offset=16
                f64x2.mul
                f64x2.add
                local.set 25
                local.get 26
                local.get 23
                local.get 16
                v128.load offset=32
                f64x2.mul
                f64x2.add
                local.set 26
                local.get 27
                local.get 23
                local.get 16
                v128.load offset=48
                f64x2.mul
                f64x2.add
                local.set 27
                local.get 28
                local.get 23
                local.get 16
                v128.load offset=64
                f64x2.mul
                f64x2.add
                local.set 28
                local.get 29
                local.get 23
                local.get 16
                v128.load offset=80
                f64x2.mul
                f64x2.add
                local.set 29
                local.get 30
                local.get 23
                local.get 16
                v128.load offset=96
                f64x2.mul
                f64x2.add
                local.set 30
                local.get 31
                local.get 23
                local.get 16
                v128.load offset=112
                f64x2.mul
                f64x2.add
                local.set 31
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 15
            local.get 17
            i32.add
            local.get 25
            v128.store offset=16
            local.get 15
            local.get 17
            i32.add
            local.get 26
            v128.store offset=32
            local.get 15
            local.get 17
            i32.add
            local.get 27
            v128.store offset=48
            local.get 15
            local.get 17
            i32.add
            local.get 28
            v128.store offset=64
            local.get 15
            local.get 17
            i32.add
            local.get 29
            v128.store offset=80
            local.get 15
            local.get 17
            i32.add
            local.get 30
            v128.store offset=96
            local.get 15
            local.get 17
            i32.add
            local.get 31
            v128.store offset=112
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 16
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 7
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 4
            local.get 17
            i32.add
            v128.load offset=16
            local.set 25
            local.get 4
            local.get 17
            i32.add
            v128.load offset=32
            local.set 26
            local.get 4
            local.get 17
            i32.add
            v128.load offset=48
            local.set 27
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 25
                local.get 23
                local.get 16
                v128.load offset=16
                f64x2.mul
                f64x2.add
                local.set 25
                local.get 26
                local.get 23
                local.get 16
                v128.load offset=32
                f64x2.mul
                f64x2.add
                local.set 26
                local.get 27
                local.get 23
                local.get 16
                v128.load offset=48
                f64x2.mul
                f64x2.add
                local.set 27
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 15
            local.get 17
            i32.add
            local.get 25
            v128.store offset=16
            local.get 15
            local.get 17
            i32.add
            local.get 26
            v128.store offset=32
            local.get 15
            local.get 17
            i32.add
            local.get 27
            v128.store offset=48
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 8
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 3
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 4
            local.get 17
            i32.add
            v128.load offset=16
            local.set 25
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 25
                local.get 23
                local.get 16
                v128.load offset=16
                f64x2.mul
                f64x2.add
                local.set 25
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 15
            local.get 17
            i32.add
            local.get 25
            v128.store offset=16
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 4
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 1
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            v128.load
            local.set 24
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 12
                f64.load
                f64x2.splat
                local.set 23
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                local.set 16
                local.get 24
                local.get 23
                local.get 16
                v128.load
                f64x2.mul
                f64x2.add
                local.set 24
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 24
            v128.store
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 2
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 11
        i32.const 0
        i32.add
        local.get 5
        i32.ge_s
        br_if 1 (;@1;)
        local.get 11
        i32.const 3
        i32.shl
        local.set 17
        i32.const 0
        local.set 9
        block  ;; label = @3
          local.get 9
          i32.const 0
          i32.add
          local.get 1
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 6
            local.get 9
            local.get 5
            i32.mul
            i32.const 3
            i32.shl
            i32.add
            local.set 15
            local.get 7
            local.get 9
            local.get 2
            i32.mul
            i32.const 4
            i32.shl
            i32.add
            local.set 18
            local.get 8
            local.get 9
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 13
            local.get 4
            local.get 17
            i32.add
            f64.load
            local.set 22
            local.get 18
            local.set 12
            block  ;; label = @5
              local.get 12
              i32.const 15
              i32.add
              local.get 13
              i32.lt_s
              i32.eqz
              br_if 0 (;@5;)
              loop  ;; label = @6
                local.get 22
                local.get 12
                f64.load
                local.get 12
                i32.load offset=8
                local.get 17
                i32.add
                f64.load
                f64.mul
                f64.add
                local.set 22
                local.get 12
                i32.const 16
                i32.add
                local.set 12
                local.get 12
                i32.const 15
                i32.add
                local.get 13
                i32.lt_s
                br_if 0 (;@6;)
              end
            end
            local.get 15
            local.get 17
            i32.add
            local.get 22
            f64.store
            local.get 9
            i32.const 1
            i32.add
            local.set 9
            local.get 9
            i32.const 0
            i32.add
            local.get 1
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 11
        i32.const 1
        i32.add
        local.set 11
        br 0 (;@2;)
      end
    end)
  (memory (;0;) 1)
  (export "dense" (func 0))
  (export "denseAfterRelu" (func 1))
  (export "memory" (memory 0)))
